using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Medins.Identity.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// TEST DOUBLE in front of the real identity-registry: GetResident and GetHousehold are answered by the real service
/// (the caller's own assertion forwarded), then the facts a test set for a resident are laid over the answer — person
/// group, disability grade, certified identities and life events as the registry's contract carries them. It stands
/// in for registry features another part of issue 16 builds (SetPersonGroup, SetDisabilityGrade, life event kinds
/// 11–13, every tenant's identity vocabulary), so payment-collection is tested against the contract, not a version.
/// </summary>
public sealed class FactsIdentityRegistry(Func<CallInvoker> realRegistry) : IdentityRegistryService.IdentityRegistryServiceBase
{
    private readonly ConcurrentDictionary<string, Resident> _facts = new();

    /// <summary>Lays these facts over the registry's answer for the resident (replacing those set before).</summary>
    public void Set(string residentId, PersonGroupMembership? group = null, int disabilityGrade = 0,
        IEnumerable<CertifiedIdentity>? identities = null, IEnumerable<LifeEvent>? lifeEvents = null)
    {
        var overlay = new Resident { PersonGroup = group, DisabilityGrade = disabilityGrade };
        overlay.CertifiedIdentities.AddRange(identities ?? []);
        overlay.LifeEvents.AddRange(lifeEvents ?? []);
        _facts[residentId] = overlay;
    }

    public override async Task<GetResidentResponse> GetResident(GetResidentRequest request, ServerCallContext context)
    {
        var response = await Client().GetResidentAsync(request, Forwarded(context), cancellationToken: context.CancellationToken);
        Overlay(response.Resident);
        return response;
    }

    public override async Task<GetHouseholdResponse> GetHousehold(GetHouseholdRequest request, ServerCallContext context)
    {
        var response = await Client().GetHouseholdAsync(request, Forwarded(context), cancellationToken: context.CancellationToken);
        foreach (var member in response.Household.Members) Overlay(member.Resident);
        return response;
    }

    private IdentityRegistryService.IdentityRegistryServiceClient Client() => new(realRegistry());

    private void Overlay(Resident resident)
    {
        if (!_facts.TryGetValue(resident.ResidentId, out var facts)) return;
        resident.PersonGroup = facts.PersonGroup;
        resident.DisabilityGrade = facts.DisabilityGrade;
        resident.CertifiedIdentities.AddRange(facts.CertifiedIdentities);
        var events = resident.LifeEvents.Concat(facts.LifeEvents)
            .OrderBy(e => e.OccurredDate.ToDateOnly()).ToList();
        resident.LifeEvents.Clear();
        resident.LifeEvents.AddRange(events);
    }

    /// <summary>The platform's own headers of the call (its assertions), so the real registry authenticates the caller.</summary>
    public static Metadata Forwarded(ServerCallContext context)
    {
        var headers = new Metadata();
        foreach (var entry in context.RequestHeaders)
            if (entry.Key.StartsWith("x-medins-", StringComparison.Ordinal) || entry.Key == "dapr-api-token")
                headers.Add(entry.Key, entry.Value);
        return headers;
    }

    public async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        var app = builder.Build();
        app.MapGrpcService<FactsIdentityRegistry>();
        await app.StartAsync();
        return app;
    }

    /// <summary>A channel to a test server, for the double to reach the real registry through.</summary>
    public static Func<CallInvoker> ChannelTo(TestServer server) => () =>
        GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = server.CreateHandler() })
            .CreateCallInvoker();
}
