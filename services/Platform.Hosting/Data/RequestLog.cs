using System.Security.Cryptography;
using Google.Protobuf;
using Npgsql;

namespace Medins.Platform.Hosting.Data;

/// <summary>
/// Makes a mutating RPC idempotent by its client request id: the first call's answer is stored in the same
/// transaction as its effects, a replay gets that answer back, and a replay with other content is refused.
/// </summary>
public sealed class RequestLog(TimeProvider time)
{
    public async Task<TResponse> RunOnceAsync<TResponse>(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string rpc, string requestId, IMessage request, MessageParser<TResponse> parser, Func<Task<TResponse>> work,
        CancellationToken ct) where TResponse : IMessage<TResponse>
    {
        var hash = SHA256.HashData(request.ToByteArray());

        // A concurrent first call holds this key's row lock: the insert waits for it to commit or roll back.
        await using (var claim = new NpgsqlCommand("""
            INSERT INTO request_log (tenant_id, rpc, request_id, request_hash, created_at)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            """, conn, tx))
        {
            claim.Parameters.Add(new() { Value = tenantId });
            claim.Parameters.Add(new() { Value = rpc });
            claim.Parameters.Add(new() { Value = requestId });
            claim.Parameters.Add(new() { Value = hash });
            claim.Parameters.Add(new() { Value = time.UtcNow() });
            if (await claim.ExecuteNonQueryAsync(ct) == 1)
            {
                var response = await work();
                await using var store = new NpgsqlCommand(
                    "UPDATE request_log SET response = $4 WHERE tenant_id = $1 AND rpc = $2 AND request_id = $3", conn, tx);
                store.Parameters.Add(new() { Value = tenantId });
                store.Parameters.Add(new() { Value = rpc });
                store.Parameters.Add(new() { Value = requestId });
                store.Parameters.Add(new() { Value = response.ToByteArray() });
                await store.ExecuteNonQueryAsync(ct);
                return response;
            }
        }

        await using var read = new NpgsqlCommand(
            "SELECT request_hash, response FROM request_log WHERE tenant_id = $1 AND rpc = $2 AND request_id = $3", conn, tx);
        read.Parameters.Add(new() { Value = tenantId });
        read.Parameters.Add(new() { Value = rpc });
        read.Parameters.Add(new() { Value = requestId });
        await using var reader = await read.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.IsDBNull(1))
            throw RpcErrors.Unavailable("REQUEST_IN_PROGRESS", "A call with this request id is still in progress; retry.");
        if (!((byte[])reader[0]).AsSpan().SequenceEqual(hash))
            throw RpcErrors.FailedPrecondition("REQUEST_ID_REUSED",
                $"Request id '{requestId}' was already used for a different {rpc} request.");
        return parser.ParseFrom((byte[])reader[1]);
    }
}
