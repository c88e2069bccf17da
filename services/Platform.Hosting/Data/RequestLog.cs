using System.Security.Cryptography;
using Google.Protobuf;
using Npgsql;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Data;

/// <summary>
/// Makes a mutating RPC idempotent by its client request id: the first call's answer is stored in the same
/// transaction as its effects, a replay gets that answer back, and a replay with other content is refused.
/// </summary>
/// <remarks>
/// <see cref="RunOnceAsync"/> does it all in the caller's transaction. An RPC that must call other services first
/// splits it: <see cref="TryGetAnswerAsync"/> before any transaction (a replay then costs no remote call), the work
/// outside, then one short transaction that sends <see cref="ClaimCommand"/> (with its own first statements, in one
/// batch), reads <see cref="StoredAnswerAsync"/> if the claim found the row taken, else stores its effects with
/// <see cref="CompleteCommand"/>.
/// </remarks>
public sealed class RequestLog(TimeProvider time)
{
    public async Task<TResponse> RunOnceAsync<TResponse>(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string rpc, string requestId, IMessage request, MessageParser<TResponse> parser, Func<Task<TResponse>> work,
        CancellationToken ct) where TResponse : IMessage<TResponse>
    {
        // A concurrent first call holds this key's row lock: the insert waits for it to commit or roll back.
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { ClaimCommand(tenantId, rpc, requestId, request) } };
        if (await batch.ExecuteNonQueryAsync(ct) != 1)
            return await StoredAnswerAsync(conn, tx, tenantId, rpc, requestId, request, parser, ct);

        var response = await work();
        await using var store = new NpgsqlBatch(conn, tx) { BatchCommands = { CompleteCommand(tenantId, rpc, requestId, response) } };
        await store.ExecuteNonQueryAsync(ct);
        return response;
    }

    /// <summary>
    /// The stored answer of a call that committed, read with no transaction open (one round trip), or null when none
    /// has. Throws REQUEST_ID_REUSED when the stored call had other content.
    /// </summary>
    public async Task<TResponse?> TryGetAnswerAsync<TResponse>(PlatformDatabase db, string tenantId, string rpc,
        string requestId, IMessage request, MessageParser<TResponse> parser, CancellationToken ct)
        where TResponse : class, IMessage<TResponse>
    {
        await using var conn = await db.DataSource.OpenConnectionAsync(ct);
        // Without a transaction the batch runs in one implicit one: the local setting reaches the read.
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                PlatformDatabase.TenantSettingCommand(tenantId),
                Sql.BatchCommand("SELECT request_hash, response FROM request_log WHERE tenant_id = $1 AND rpc = $2 AND request_id = $3",
                    tenantId, rpc, requestId),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.IsDBNull(1)) return null;
        return Answer((byte[])reader[0], (byte[])reader[1], request, rpc, requestId, parser);
    }

    /// <summary>Inserts the request's row, or affects none when a call with this id holds it (waiting for it to end).</summary>
    public NpgsqlBatchCommand ClaimCommand(string tenantId, string rpc, string requestId, IMessage request) => Sql.BatchCommand("""
        INSERT INTO request_log (tenant_id, rpc, request_id, request_hash, created_at)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
        """, tenantId, rpc, requestId, Hash(request), time.UtcNow());

    /// <summary>Stores the answer of a claimed call, in the transaction of its effects.</summary>
    public static NpgsqlBatchCommand CompleteCommand(string tenantId, string rpc, string requestId, IMessage response) =>
        Sql.BatchCommand("UPDATE request_log SET response = $4 WHERE tenant_id = $1 AND rpc = $2 AND request_id = $3",
            tenantId, rpc, requestId, response.ToByteArray());

    /// <summary>The first call's answer after a claim found the row taken (it has committed by then).</summary>
    public async Task<TResponse> StoredAnswerAsync<TResponse>(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        string rpc, string requestId, IMessage request, MessageParser<TResponse> parser, CancellationToken ct)
        where TResponse : IMessage<TResponse>
    {
        await using var read = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                Sql.BatchCommand("SELECT request_hash, response FROM request_log WHERE tenant_id = $1 AND rpc = $2 AND request_id = $3",
                    tenantId, rpc, requestId),
            },
        };
        await using var reader = await read.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.IsDBNull(1))
            throw RpcErrors.Unavailable(PlatformReason.RequestInProgress, "A call with this request id is still in progress; retry.");
        return Answer((byte[])reader[0], (byte[])reader[1], request, rpc, requestId, parser);
    }

    private static TResponse Answer<TResponse>(byte[] storedHash, byte[] response, IMessage request, string rpc,
        string requestId, MessageParser<TResponse> parser) where TResponse : IMessage<TResponse>
    {
        if (!storedHash.AsSpan().SequenceEqual(Hash(request)))
            throw RpcErrors.FailedPrecondition(PlatformReason.RequestIdReused,
                $"Request id '{requestId}' was already used for a different {rpc} request.");
        return parser.ParseFrom(response);
    }

    private static byte[] Hash(IMessage request) => SHA256.HashData(request.ToByteArray());
}
