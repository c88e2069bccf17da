using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Medins.Platform.Hosting.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Messaging;


/// <summary>
/// Authenticates an event delivery before anything reads it. Local transport: the publisher's <c>x-medins-service</c>
/// assertion, addressed to this service, signed over the exact bytes received, from an app id allowed to publish the
/// topic. Dapr: the sidecar's <c>dapr-api-token</c> equals Auth:AppApiToken (in the cluster, Dapr's mTLS carries the
/// publisher's identity between sidecars, and the pub/sub component's scopes limit who publishes a topic).
/// </summary>
public sealed class EventDeliveryAuthenticator
{
    public static readonly string PublisherNotAllowed = ErrorReasons.Code(PlatformReason.EventPublisherNotAllowed);
    public static readonly string AppTokenInvalid = ErrorReasons.Code(PlatformReason.DaprApiTokenInvalid);

    private readonly AssertionCodec _codec;
    private readonly string _self;
    private readonly byte[]? _appToken;

    public EventDeliveryAuthenticator(AssertionCodec codec, IOptions<AuthOptions> auth, IOptions<EventOptions> events,
        PlatformServiceInfo service)
    {
        _codec = codec;
        _self = service.Name;
        if (!events.Value.Transport.Equals("dapr", StringComparison.OrdinalIgnoreCase)) return;
        if (string.IsNullOrWhiteSpace(auth.Value.AppApiToken))
            throw new InvalidOperationException(
                $"{service.Name}: Events:Transport is dapr but Auth:AppApiToken is not set; event routes would accept anyone's deliveries.");
        _appToken = Encoding.UTF8.GetBytes(auth.Value.AppApiToken);
    }

    /// <summary>Null when the delivery is authentic; else why it is refused (401, or 403 for a publisher not allowed).</summary>
    public async Task<CallerCheck?> AuthenticateAsync(HttpRequest request, EventRouteMetadata route)
    {
        // The CloudEvents middleware turns the signed envelope's attributes into these headers; a sender's own never count.
        foreach (var name in request.Headers.Keys.Where(k => k.StartsWith("Cloudevent.", StringComparison.OrdinalIgnoreCase)).ToList())
            request.Headers.Remove(name);

        if (_appToken is not null)
        {
            var sent = Encoding.UTF8.GetBytes(request.Headers[AssertionHeaders.DaprApiToken].ToString());
            return CryptographicOperations.FixedTimeEquals(sent, _appToken)
                ? null
                : CallerCheck.Refused(sent.Length == 0 ? AssertionReasons.Missing : AppTokenInvalid,
                    "The delivery does not carry this app's Dapr API token.");
        }

        var check = _codec.Validate(request.Headers[AssertionHeaders.Service].ToString(), _self);
        if (!check.IsValid) return CallerCheck.Refused(check.Reason, check.Message);
        var publisher = check.Assertion!;
        if (publisher.Issuer == Assertion.GatewayIssuer || publisher.Subject != publisher.Issuer || publisher.BodyDigest is null)
            return CallerCheck.Refused(AssertionReasons.WrongIssuer, "An event delivery is signed by its publishing service for its body.");

        request.EnableBuffering();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        if (!string.Equals(AssertionCodec.Digest(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)), publisher.BodyDigest, StringComparison.Ordinal))
            return CallerCheck.Refused(AssertionReasons.BodyMismatch, "The delivery's body is not the one its assertion was signed for.");
        if (!route.Publishers.Contains(publisher.Issuer, StringComparer.Ordinal))
            return CallerCheck.Refused(PublisherNotAllowed, $"{publisher.Issuer} does not publish {route.Topic}.", StatusCode.PermissionDenied);
        return null;
    }
}

/// <summary>Signs what the local transport delivers: the publisher's own assertion over the exact body, for one subscriber.</summary>
public sealed class EventDeliverySigner(AssertionCodec codec, PlatformServiceInfo service)
{
    public string Sign(string subscriber, string? tenantId, ReadOnlySpan<byte> body) =>
        codec.Issue(service.Name, service.Name, subscriber, tenantId, Scopes.Service, [], AssertionCodec.Digest(body));
}
