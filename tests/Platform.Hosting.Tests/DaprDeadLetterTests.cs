using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Medins.Contribution.V1;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Medins.Platform.Hosting.Tests;

/// <summary>
/// A subscriber as it runs under Dapr (Events:Transport=dapr, deliveries carry the app API token), on its real schema:
/// what /dapr/subscribe tells the sidecar, what the event route answers for poison and transient failures, and how the
/// dead-letter route records what Dapr hands back.
/// </summary>
public sealed class DaprDeadLetterTests : IAsyncLifetime
{
    private const string AppId = "quota-tracking";
    private const string Topic = "policy.published";
    private const string AppToken = "app-token-for-tests";
    private TestDatabase _db = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync(demoCity: false);
        var port = PostgresCluster.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestAuth.Settings(AppId))
        {
            ["ConnectionStrings:Platform"] = _db.ConnectionStringFor(AppId),
            ["Platform:HttpPort"] = port.ToString(),
            ["Events:Transport"] = "dapr",
            ["Events:PubSubName"] = "pubsub",
            ["Events:RelayEnabled"] = "false",
            ["Retention:Enabled"] = "false",
            ["Auth:AppApiToken"] = AppToken,
        });
        builder.AddPlatformDefaults(AppId, "quota_tracking", typeof(DaprDeadLetterTests).Assembly);
        builder.Services.AddSingleton<ScriptedHandler>();
        _app = builder.Build();
        _app.MapPlatformEndpoints();
        _app.MapEventSubscription<PolicyPublished, ScriptedHandler>(Topic, "contribution-calculation");
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _db.DisposeAsync();
    }

    /// <summary>Applies events, except those whose policy id asks it to fail for a while or to refuse.</summary>
    private sealed class ScriptedHandler : IEventHandler<PolicyPublished>
    {
        public List<Guid> Applied { get; } = [];

        public Task HandleAsync(InboundEvent<PolicyPublished> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
        {
            switch (evt.Data.PolicyId)
            {
                case "transient": throw new TimeoutException("the database did not answer in time");
                case "refused": throw new EventRejectedException("UNKNOWN_TENANT", $"No tenant '{evt.TenantId}' here.");
            }
            lock (Applied) Applied.Add(evt.Id);
            return Task.CompletedTask;
        }
    }

    private ScriptedHandler Handler => _app.Services.GetRequiredService<ScriptedHandler>();

    private static PolicyPublished Policy(string policyId) => new() { TenantId = "cq-lidu", PolicyId = policyId, CoverageYear = 2024, Version = 1 };

    /// <summary>A CloudEvent as Dapr delivers it: ours, with the attributes the sidecar adds on publish.</summary>
    private static JsonObject Envelope(Guid id, string tenant, IMessage data) => new()
    {
        ["specversion"] = "1.0",
        ["id"] = id.ToString(),
        ["source"] = "contribution-calculation",
        ["type"] = data.Descriptor.FullName,
        ["subject"] = Topic,
        ["datacontenttype"] = "application/json",
        [CloudEvent.TenantAttribute] = tenant,
        ["data"] = JsonNode.Parse(JsonFormatter.Default.Format(data)),
        ["pubsubname"] = "pubsub",
        ["topic"] = Topic,
    };

    private async Task<(HttpStatusCode Code, string Body)> PostAsync(string path, JsonNode body, string contentType, string? token = AppToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (token is not null) request.Headers.Add(AssertionHeaders.DaprApiToken, token);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Status(string body) => JsonDocument.Parse(body).RootElement.GetProperty("status").GetString()!;

    private async Task<Dictionary<string, string>> BulkAsync(params JsonNode[] events)
    {
        var entries = new JsonArray();
        foreach (var e in events)
            entries.Add(new JsonObject { ["entryId"] = e["id"]!.GetValue<string>(), ["event"] = e, ["contentType"] = CloudEvent.ContentType });
        var (code, body) = await PostAsync("/events/" + Topic,
            new JsonObject { ["entries"] = entries, ["id"] = Guid.NewGuid().ToString(), ["pubsubname"] = "pubsub", ["topic"] = Topic },
            BulkDelivery.ContentType);
        Assert.Equal(HttpStatusCode.OK, code);
        return JsonDocument.Parse(body).RootElement.GetProperty("statuses").EnumerateArray()
            .ToDictionary(s => s.GetProperty("entryId").GetString()!, s => s.GetProperty("status").GetString()!);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task DaprSubscribe_EachTopic_ListsTheAppsDeadLetterTopicWhichHasItsOwnRoute()
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync("/dapr/subscribe"));
        var subscriptions = doc.RootElement.EnumerateArray().ToDictionary(s => s.GetProperty("topic").GetString()!);

        var topic = subscriptions[Topic];
        Assert.Equal("quota-tracking.dead-letter", topic.GetProperty("deadLetterTopic").GetString());
        Assert.True(topic.GetProperty("bulkSubscribe").GetProperty("enabled").GetBoolean());
        var deadLetters = subscriptions["quota-tracking.dead-letter"];
        Assert.Equal("pubsub", deadLetters.GetProperty("pubsubName").GetString());
        Assert.Equal("events/dead-letter", deadLetters.GetProperty("route").GetString());
        // The dead-letter subscription has none of its own: what cannot be recorded stays on the broker.
        Assert.False(deadLetters.TryGetProperty("deadLetterTopic", out var own) && own.ValueKind == JsonValueKind.String);
        Assert.Equal(2, subscriptions.Count);
    }

    [Fact]
    public async Task DeadLetterRoute_SameDeliveryTwice_RecordedOnceAndListedByDeadLettersList()
    {
        var id = Guid.CreateVersion7();
        var envelope = Envelope(id, "cq-lidu", Policy("p-1"));

        var first = await PostAsync(DeadLetterTopics.Route, envelope, CloudEvent.ContentType);
        var again = await PostAsync(DeadLetterTopics.Route, envelope.DeepClone(), CloudEvent.ContentType);

        Assert.Equal((HttpStatusCode.OK, "SUCCESS"), (first.Code, Status(first.Body)));
        Assert.Equal((HttpStatusCode.OK, "SUCCESS"), (again.Code, Status(again.Body)));
        // The listing `dead-letters list` prints, for this schema.
        var row = Assert.Single(await _app.Services.GetRequiredService<DeadLetters>().ListAsync(includeReplayed: false, CancellationToken.None));
        Assert.Equal(("cq-lidu", id, Topic, AppId, 1), (row.TenantId, row.EventId, row.Topic, row.Target, row.Attempts));
        Assert.Null(row.ReplayedAt);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM quota_tracking.dead_letter WHERE event_id = '{id}' AND source = 'dapr' AND payload->>'policyId' = 'p-1'"));
        Assert.Empty(Handler.Applied);
    }

    [Fact]
    public async Task DeadLetterRoute_EventWithoutIdOrTenant_StillRecordedOnce()
    {
        var envelope = Envelope(Guid.Empty, "", Policy("p-2"));
        envelope.Remove("id");
        envelope.Remove(CloudEvent.TenantAttribute);

        await PostAsync(DeadLetterTopics.Route, envelope, CloudEvent.ContentType);
        await PostAsync(DeadLetterTopics.Route, envelope.DeepClone(), CloudEvent.ContentType);

        var row = Assert.Single(await _app.Services.GetRequiredService<DeadLetters>().ListAsync(includeReplayed: false, CancellationToken.None));
        Assert.Equal(("", Topic), (row.TenantId, row.Topic));
    }

    private DeadLetters DeadLetters => _app.Services.GetRequiredService<DeadLetters>();

    private Task<int> RedriveAsync() => DeadLetterSubscription.RedriverOf(_app)!.RedriveAsync(CancellationToken.None);

    [Fact]
    public async Task Replay_DaprDeadLetter_AppliedOnceThroughItsHandlerAndAudited()
    {
        var id = Guid.CreateVersion7();
        await PostAsync(DeadLetterTopics.Route, Envelope(id, "cq-lidu", Policy("p-9")), CloudEvent.ContentType);

        var replayed = await DeadLetters.ReplayAsync(id, target: null, "ops", "the handler is fixed", CancellationToken.None);
        var redriven = await RedriveAsync();
        var again = await RedriveAsync();

        Assert.Equal(id, Assert.Single(replayed).EventId);
        Assert.Equal((1, 0), (redriven, again));
        Assert.Equal(new[] { id }, Handler.Applied);
        Assert.Empty(await DeadLetters.ListAsync(includeReplayed: false, CancellationToken.None));
        Assert.NotNull(Assert.Single(await DeadLetters.ListAsync(includeReplayed: true, CancellationToken.None)).ReplayedAt);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM quota_tracking.dead_letter_replay WHERE event_id = '{id}' AND replayed_by = 'ops'"));
        Assert.Empty(await DeadLetters.ReplayAsync(id, target: null, "ops", "once more", CancellationToken.None));
    }

    [Fact]
    public async Task Replay_DaprDeadLetterOfAnEventAlreadyApplied_NotAppliedTwice()
    {
        var id = Guid.CreateVersion7();
        var envelope = Envelope(id, "cq-lidu", Policy("p-10"));
        var (_, body) = await PostAsync("/events/" + Topic, envelope, CloudEvent.ContentType);
        await PostAsync(DeadLetterTopics.Route, envelope.DeepClone(), CloudEvent.ContentType);

        await DeadLetters.ReplayAsync(id, target: null, "ops", "was it applied?", CancellationToken.None);
        await RedriveAsync();

        Assert.Equal("SUCCESS", Status(body));
        Assert.Equal(new[] { id }, Handler.Applied);
        Assert.Empty(await DeadLetters.ListAsync(includeReplayed: false, CancellationToken.None));
    }

    [Fact]
    public async Task Replay_DaprDeadLetterStillRefused_OpenAgainWithTheRefusal()
    {
        var id = Guid.CreateVersion7();
        await PostAsync(DeadLetterTopics.Route, Envelope(id, "cq-nowhere", Policy("refused")), CloudEvent.ContentType);

        await DeadLetters.ReplayAsync(id, target: null, "ops", "try again", CancellationToken.None);
        await RedriveAsync();

        var row = Assert.Single(await DeadLetters.ListAsync(includeReplayed: false, CancellationToken.None));
        Assert.Equal((id, 2, (DateTimeOffset?)null), (row.EventId, row.Attempts, row.ReplayedAt));
        Assert.Contains("No tenant 'cq-nowhere' here.", row.LastError);
        Assert.Empty(Handler.Applied);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("guessed-token")]
    public async Task DeadLetterRoute_WithoutTheAppApiToken_RefusedAndNothingRecorded(string? token)
    {
        var (code, _) = await PostAsync(DeadLetterTopics.Route, Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("p-3")), CloudEvent.ContentType, token);

        Assert.Equal(HttpStatusCode.Unauthorized, code);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM quota_tracking.dead_letter"));
    }

    [Fact]
    public async Task EventRoute_PoisonBulkEntries_AnswerDropAndTheOthersApply()
    {
        var good = Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("p-4"));
        var unparsable = Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("p-5"));
        unparsable["data"]!["coverageYear"] = "next year";
        var noTenant = Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("p-6"));
        noTenant.Remove(CloudEvent.TenantAttribute);
        var refused = Envelope(Guid.CreateVersion7(), "cq-nowhere", Policy("refused"));

        var statuses = await BulkAsync(good, unparsable, noTenant, refused);

        Assert.Equal("SUCCESS", statuses[good["id"]!.GetValue<string>()]);
        Assert.Equal("DROP", statuses[unparsable["id"]!.GetValue<string>()]);
        Assert.Equal("DROP", statuses[noTenant["id"]!.GetValue<string>()]);
        Assert.Equal("DROP", statuses[refused["id"]!.GetValue<string>()]);
        Assert.Equal(new[] { Guid.Parse(good["id"]!.GetValue<string>()) }, Handler.Applied);
    }

    [Fact]
    public async Task EventRoute_TransientFailure_AnswersRetryInBothShapesAndLeavesNoInboxRow()
    {
        var single = Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("transient"));
        var inBulk = Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("transient"));
        var good = Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("p-7"));

        var (code, body) = await PostAsync("/events/" + Topic, single, CloudEvent.ContentType);
        var statuses = await BulkAsync(inBulk, good);

        Assert.Equal((HttpStatusCode.OK, "RETRY"), (code, Status(body)));
        Assert.Equal("RETRY", statuses[inBulk["id"]!.GetValue<string>()]);
        Assert.Equal("SUCCESS", statuses[good["id"]!.GetValue<string>()]);
        // Not claimed in the inbox, so the retry applies it.
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM quota_tracking.inbox"));
    }

    [Fact]
    public async Task EventRoute_SingleRefusedEvent_AnswersDrop()
    {
        var (code, body) = await PostAsync("/events/" + Topic, Envelope(Guid.CreateVersion7(), "cq-nowhere", Policy("refused")), CloudEvent.ContentType);

        Assert.Equal((HttpStatusCode.OK, "DROP"), (code, Status(body)));
    }

    [Fact]
    public async Task EventRoute_WithoutTheAppApiToken_Refused()
    {
        var (code, _) = await PostAsync("/events/" + Topic, Envelope(Guid.CreateVersion7(), "cq-lidu", Policy("p-8")), CloudEvent.ContentType, token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, code);
        Assert.Empty(Handler.Applied);
    }
}
