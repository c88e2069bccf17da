using System.Globalization;
using Medins.Platform.Hosting.Data;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Medins.Notification.Channels;

/// <summary>
/// Refuses WeChat pushes whose signed timestamp is outside <see cref="WeChatOptions.CallbackWindow"/> of now and
/// pushes whose (timestamp, nonce) was already accepted: the signature covers only those two, so a replay must
/// repeat both. Accepted pairs are kept in <c>wechat_push_nonces</c> until the window alone refuses them.
/// </summary>
public sealed class WeChatPushNonces(PlatformDatabase db, TimeProvider time, IOptions<WeChatOptions> options)
{
    /// <summary>WeChat's nonces are short numbers; anything longer is not from WeChat and is not stored.</summary>
    public const int MaxNonceLength = 64;

    public enum Verdict { Accepted, OutsideWindow, Replayed }

    /// <summary>The instant a push was signed at, when its timestamp is Unix seconds inside the window.</summary>
    public DateTimeOffset? SignedAt(string timestamp)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return null;
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return (signedAt - time.GetUtcNow()).Duration() <= options.Value.CallbackWindow ? signedAt : null;
    }

    /// <summary>Records a signed push once; prunes the pairs whose timestamps have left the window.</summary>
    public async Task<Verdict> AcceptAsync(string timestamp, string nonce, CancellationToken ct)
    {
        if (SignedAt(timestamp) is not { } signedAt) return Verdict.OutsideWindow;
        if (nonce.Length is 0 or > MaxNonceLength) return Verdict.Replayed;
        var expired = time.GetUtcNow() - options.Value.CallbackWindow;
        return await db.InSystemScopeAsync(async (conn, tx) =>
        {
            await using (var prune = new NpgsqlCommand("DELETE FROM wechat_push_nonces WHERE signed_at < $1", conn, tx))
            {
                prune.Parameters.Add(new() { Value = expired });
                await prune.ExecuteNonQueryAsync(ct);
            }
            await using var insert = new NpgsqlCommand(
                "INSERT INTO wechat_push_nonces (nonce, signed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING", conn, tx);
            insert.Parameters.Add(new() { Value = nonce });
            insert.Parameters.Add(new() { Value = signedAt });
            return await insert.ExecuteNonQueryAsync(ct) == 1 ? Verdict.Accepted : Verdict.Replayed;
        }, ct);
    }

    /// <summary>Forgets an accepted push whose handling failed, so WeChat's retry of it is not taken for a replay.</summary>
    public Task ForgetAsync(string timestamp, string nonce, CancellationToken ct) =>
        SignedAt(timestamp) is not { } signedAt
            ? Task.CompletedTask
            : db.InSystemScopeAsync(async (conn, tx) =>
            {
                await using var delete = new NpgsqlCommand(
                    "DELETE FROM wechat_push_nonces WHERE tenant_id = '' AND nonce = $1 AND signed_at = $2", conn, tx);
                delete.Parameters.Add(new() { Value = nonce });
                delete.Parameters.Add(new() { Value = signedAt });
                return await delete.ExecuteNonQueryAsync(ct);
            }, ct);
}
