using System.Net;

namespace Medins.ChannelSimulation;

/// <summary>
/// The providers' APIs in process: <c>{BaseAddress(channel)}…</c> reaches that channel's simulated provider, which
/// checks the request's signature as the real one would and answers signed.
/// </summary>
internal sealed class ProviderApiHandler(ChannelSimulator simulator) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var segments = request.RequestUri!.AbsolutePath.TrimStart('/').Split('/', 2);
        var channel = segments[0];
        if (!ChannelSimulator.Channels.Contains(channel) || segments.Length < 2)
            return new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request };
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(ct);
        var response = await simulator.Provider(channel).AnswerAsync(channel, request, segments[1], body);
        response.RequestMessage = request;
        return response;
    }
}
