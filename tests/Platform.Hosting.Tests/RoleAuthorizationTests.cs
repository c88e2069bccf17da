using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Auth.V1;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Hosting.Tenancy;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Medins.Platform.Hosting.Tests;

/// <summary>
/// The role interceptor on a contract of its own (one RPC per role and one declaring none), so the rules are tested
/// whatever the real contracts declare. Callers come from verified assertions, as the middleware sets them.
/// </summary>
public sealed class RoleAuthorizationTests
{
    private const string Service = "medins.test.v1.RoleTestService";

    private static readonly RpcRoleMap Map = new([BuildContract()]);

    private static FileDescriptor BuildContract()
    {
        var file = new FileDescriptorProto
        {
            Name = "medins/test/v1/role_test.proto",
            Package = "medins.test.v1",
            Syntax = "proto3",
            Dependency = { "google/protobuf/empty.proto", "medins/auth/v1/access.proto" },
        };
        var service = new ServiceDescriptorProto { Name = "RoleTestService" };
        foreach (var (name, role) in new[] { ("Read", Role.Read), ("Collect", Role.Collect), ("Manage", Role.Manage),
                     ("Audit", Role.Audit), ("Undeclared", Role.Unspecified) })
        {
            var method = new MethodDescriptorProto { Name = name, InputType = ".google.protobuf.Empty", OutputType = ".google.protobuf.Empty" };
            if (role != Role.Unspecified)
            {
                method.Options = new MethodOptions();
                method.Options.SetExtension(AccessExtensions.RequiredRole, role);
            }
            service.Method.Add(method);
        }
        file.Service.Add(service);
        return FileDescriptor.BuildFromByteStrings(
            [DescriptorReflection.Descriptor.SerializedData, EmptyReflection.Descriptor.SerializedData,
             AccessReflection.Descriptor.SerializedData, file.ToByteString()],
            new ExtensionRegistry { AccessExtensions.RequiredRole })[^1];
    }

    private static RoleAuthorizationInterceptor Interceptor(NpgsqlDataSource? dataSource = null) =>
        new(Map, new PlatformDatabase(dataSource ?? NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1"), TimeProvider.System),
            NullLogger<RoleAuthorizationInterceptor>.Instance);

    private static async Task<bool> CallAsync(RoleAuthorizationInterceptor interceptor, string method, VerifiedCaller caller)
    {
        var tenant = new TenantContext();
        tenant.SetFrom(caller);
        var http = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton(tenant).BuildServiceProvider(),
        };
        var context = new TestCallContext($"/{Service}/{method}", http);
        var handled = false;
        await interceptor.UnaryServerHandler(new Empty(), context, (_, _) =>
        {
            handled = true;
            return Task.FromResult(new Empty());
        });
        return handled;
    }

    private static VerifiedCaller Tenant(params string[] roles) => new("cq-lidu", false, "demo-lidu", roles, null, null);

    private static VerifiedCaller City(string? tenant, params string[] roles) => new(tenant, true, "demo-city", roles, null, null);

    public static TheoryData<string, string> MethodsAndRoles => new()
    {
        { "Read", Roles.Read }, { "Collect", Roles.Collect }, { "Manage", Roles.Manage }, { "Audit", Roles.Audit },
    };

    [Theory]
    [MemberData(nameof(MethodsAndRoles))]
    public async Task Call_EachRoleAgainstEachDeclaredRole_OnlyTheDeclaredRolePasses(string method, string declared)
    {
        foreach (var role in Roles.All)
        {
            if (role == declared)
            {
                Assert.True(await CallAsync(Interceptor(), method, Tenant(role)));
                continue;
            }
            var ex = await Refusals.ThrowsAsync(() => CallAsync(Interceptor(), method, Tenant(role)));
            Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
            Assert.Equal(RoleAuthorizationInterceptor.RoleRequired, RpcErrors.ReasonOf(ex));
            Assert.Equal(declared, ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Metadata["required_role"]);
        }
    }

    [Fact]
    public async Task Call_MethodDeclaringNoRole_PermissionDeniedToEveryone()
    {
        var ex = await Refusals.ThrowsAsync(() => CallAsync(Interceptor(), "Undeclared", Tenant([.. Roles.All])));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(RoleAuthorizationInterceptor.RoleNotDeclared, RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task Call_CityScopeNamingNoTenantWithoutAudit_PermissionDeniedAuditRequired()
    {
        var ex = await Refusals.ThrowsAsync(() => CallAsync(Interceptor(), "Read", City(null, Roles.Read)));

        Assert.Equal(RoleAuthorizationInterceptor.RoleRequired, RpcErrors.ReasonOf(ex));
        Assert.Equal(Roles.Audit, ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Metadata["required_role"]);
        Assert.True(await CallAsync(Interceptor(), "Read", City(null, Roles.Read, Roles.Audit)));
        Assert.True(await CallAsync(Interceptor(), "Read", City("cq-lidu", Roles.Read)));
    }

    [Fact]
    public async Task Call_CityScopeWrite_AuditRowWrittenBeforeTheHandler()
    {
        await using var db = await TestDatabase.CreateAsync(demoCity: false);
        await using var dataSource = db.DataSourceFor("identity-registry");

        Assert.True(await CallAsync(Interceptor(dataSource), "Collect", City("cq-lidu", Roles.Collect)));

        await using var count = db.Owner.CreateCommand(
            $"SELECT count(*) FROM identity_registry.city_scope_audit WHERE actor = 'demo-city' AND operation = '/{Service}/Collect'");
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Call_CityScopeWriteWhenTheAuditCannotBeWritten_UnavailableAndHandlerNotRun()
    {
        var ex = await Refusals.ThrowsAsync(() => CallAsync(Interceptor(), "Manage", City("cq-lidu", Roles.Manage)));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(RoleAuthorizationInterceptor.AuditUnavailable, RpcErrors.ReasonOf(ex));
    }

    /// <summary>The minimum of a server call an interceptor reads: its method and HttpContext (gRPC's own test hook).</summary>
    private sealed class TestCallContext(string method, HttpContext http) : ServerCallContext
    {
        private readonly Dictionary<object, object> _state = new() { ["__HttpContext"] = http };
        protected override string MethodCore => method;
        protected override string HostCore => "localhost";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore => [];
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore => [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, []);
        protected override IDictionary<object, object> UserStateCore => _state;
        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();
        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
