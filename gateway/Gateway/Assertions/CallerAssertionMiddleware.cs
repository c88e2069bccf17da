using Medins.Gateway.Credentials;
using Medins.Gateway.Routing;
using Medins.Platform.Hosting.Security;

namespace Medins.Gateway.Assertions;

/// <summary>
/// The last step before the proxy: attaches <c>x-medins-caller</c>, the caller's assertion addressed to the service
/// behind the route. Provider callback routes get none; they carry no caller.
/// </summary>
public sealed class CallerAssertionMiddleware(RequestDelegate next, CallerAssertionIssuer issuer)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (GatewayEndpoint.IsProxied(context) && !ChannelNoticeRoute.Is(context))
        {
            var caller = context.Features.Get<GatewayCaller>()
                ?? throw new InvalidOperationException("Assertions are minted after caller enforcement, which names every caller.");
            context.Request.Headers[AssertionHeaders.Caller] = issuer.AssertionFor(caller, GatewayEndpoint.AudienceOf(context));
        }
        return next(context);
    }
}
