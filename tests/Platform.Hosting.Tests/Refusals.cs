using Grpc.Core;

namespace Medins.Platform.Hosting.Tests;

/// <summary>
/// A refusal thrown by code called directly (no gRPC pipeline), as the error interceptor sends it, so tests assert
/// the same status and details a client sees.
/// </summary>
internal static class Refusals
{
    private static readonly string Domain = RpcErrors.DomainOf("test-service");

    public static async Task<RpcException> ThrowsAsync(Func<Task> call) =>
        RpcErrors.ToRpcException(await Assert.ThrowsAsync<RuleViolation>(call), Domain);

    public static RpcException Throws(Action call) => RpcErrors.ToRpcException(Assert.Throws<RuleViolation>(call), Domain);
}
