using System.Collections.Frozen;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Medins.Auth.V1;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Security;

/// <summary>
/// The role each platform RPC declares with <c>(medins.auth.v1.required_role)</c>, read once from the contracts'
/// descriptors, by full method name (<c>/medins.identity.v1.IdentityRegistryService/RegisterResident</c>).
/// </summary>
public sealed class RpcRoleMap
{
    private readonly FrozenDictionary<string, string?> _roles;

    public RpcRoleMap(IEnumerable<FileDescriptor> files)
    {
        var roles = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var file in files)
        foreach (var service in file.Services)
        foreach (var method in service.Methods)
            roles[$"/{service.FullName}/{method.Name}"] = NameOf(method.GetOptions()?.GetExtension(AccessExtensions.RequiredRole) ?? Role.Unspecified);
        _roles = roles.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every service of the platform's contracts (the assembly that holds medins.auth.v1).</summary>
    public static RpcRoleMap FromContracts() => new(typeof(AccessReflection).Assembly.GetTypes()
        .Select(t => t.GetProperty("Descriptor", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
        .Where(p => p?.PropertyType == typeof(FileDescriptor))
        .Select(p => (FileDescriptor)p!.GetValue(null)!)
        .Where(f => f.Package.StartsWith("medins.", StringComparison.Ordinal)));

    /// <summary>A method of the platform's own contracts (not gRPC health or reflection).</summary>
    public bool IsPlatformMethod(string fullMethod) => _roles.ContainsKey(fullMethod);

    /// <summary>The role the method requires (<see cref="Roles"/>), or null when it declares none.</summary>
    public string? RoleOf(string fullMethod) => _roles.GetValueOrDefault(fullMethod);

    public static string? NameOf(Role role) => role switch
    {
        Role.Read => Roles.Read,
        Role.Collect => Roles.Collect,
        Role.Manage => Roles.Manage,
        Role.Audit => Roles.Audit,
        _ => null,
    };
}

/// <summary>
/// Lets a verified caller call an RPC only with the role it declares; an RPC declaring none is refused to everyone.
/// City scope naming no tenant also needs <c>audit</c>, and a city-scope call needing <c>collect</c> or <c>manage</c>
/// is recorded in city_scope_audit (its own short transaction, before the handler) or refused.
/// </summary>
public sealed partial class RoleAuthorizationInterceptor : Interceptor
{
    public static readonly string RoleNotDeclared = ErrorReasons.Code(PlatformReason.RoleNotDeclared);
    public static readonly string RoleRequired = ErrorReasons.Code(PlatformReason.RoleRequired);
    public static readonly string AuditUnavailable = ErrorReasons.Code(PlatformReason.CityScopeAuditUnavailable);

    private readonly RpcRoleMap _roles;
    private readonly PlatformDatabase _db;
    private readonly ILogger<RoleAuthorizationInterceptor> _logger;

    public RoleAuthorizationInterceptor(RpcRoleMap roles, PlatformDatabase db, ILogger<RoleAuthorizationInterceptor> logger)
    {
        _roles = roles;
        _db = db;
        _logger = logger;
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context);
        return await continuation(request, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context);
        return await continuation(requestStream, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context);
        await continuation(request, responseStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context);
        await continuation(requestStream, responseStream, context);
    }

    private async Task AuthorizeAsync(ServerCallContext context)
    {
        // gRPC health answers anyone; reflection only needs an authenticated caller (the middleware saw to that).
        if (!_roles.IsPlatformMethod(context.Method)) return;
        var caller = context.GetHttpContext().RequestServices.GetRequiredService<TenantContext>();
        if (!caller.IsAuthenticated)
            throw RpcErrors.Build(Google.Rpc.Code.Unauthenticated, AssertionReasons.Missing, "The call carries no caller assertion.");

        var role = _roles.RoleOf(context.Method);
        if (role is null)
            throw RpcErrors.Build(Google.Rpc.Code.PermissionDenied, RoleNotDeclared,
                $"{context.Method} declares no required role, so no caller may call it.");
        if (!caller.HasRole(role)) throw Denied(role, $"{context.Method} needs the '{role}' role.");
        if (caller.IsCityScope && caller.TenantId is null && !caller.HasRole(Roles.Audit))
            throw Denied(Roles.Audit, "A city-wide call that names no tenant needs the 'audit' role.");
        if (caller.IsCityScope && role is Roles.Collect or Roles.Manage) await AuditCityScopeWriteAsync(context, caller, role);
    }

    private async Task AuditCityScopeWriteAsync(ServerCallContext context, TenantContext caller, string role)
    {
        var actor = caller.Via is null ? caller.Client : $"{caller.Client} via {caller.Via}";
        var reason = $"city-scope {role} call for tenant {caller.TenantId ?? "*"}";
        try
        {
            await _db.InCityScopeAsync(actor, context.Method, reason, (_, _) => Task.FromResult(0), context.CancellationToken);
        }
        catch (NpgsqlException ex)
        {
            _logger.LogWarning(ex, "City-scope write {Method} by {Actor} refused: its audit row could not be written", context.Method, actor);
            throw RpcErrors.Unavailable(AuditUnavailable, "The city-scope audit could not be written; retry with the same request id.");
        }
        LogCityScopeWrite(_logger, actor, context.Method, caller.TenantId ?? "*");
    }

    private static RuleViolation Denied(string role, string message) =>
        RpcErrors.Build(Google.Rpc.Code.PermissionDenied, RoleRequired, message,
            metadata: new Dictionary<string, string> { ["required_role"] = role });

    [LoggerMessage(EventId = 21, Level = LogLevel.Information,
        Message = "City-scope write by {Actor}: {Method} for tenant {Tenant} (audited)")]
    private static partial void LogCityScopeWrite(ILogger logger, string actor, string method, string tenant);
}
