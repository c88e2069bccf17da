using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;
using ErrorReason = Medins.Identity.V1.ErrorReason;

namespace Medins.IdentityRegistry.Data;

/// <summary>One resident of a bulk load. <see cref="Relationship"/> and <see cref="RegistrationType"/> are stored texts.</summary>
public sealed record BulkResident(string NationalId, string Name, string VillageCode, string? HouseholdNumber, string? Relationship,
    string RegistrationType, string? Phone);

public sealed record BulkRejection(int RowNumber, string Reason);

public sealed record BulkLoadResult(int Read, int Inserted, int Skipped, IReadOnlyList<BulkRejection> Rejections, int Households);

/// <summary>
/// Loads a whole tenant's residents and household booklets at once (the first load of a county, a yearly refresh
/// from the police register), in one transaction. Rows are validated, their identifiers sealed and the rows encoded
/// for binary COPY on every core, chunk by chunk, while the chunk before is copied into a staging table (COPY cannot write a table
/// under row-level security) and moved into the residents table by an INSERT that row-level security checks.
/// People already registered, a person listed twice and a second head of a booklet are skipped. No
/// resident.registered events: a bulk load brings in existing records, not new registrations.
/// </summary>
/// <remarks>
/// Where the time goes in a million-row load, and what is done about it: resident ids rise in row order (not random
/// version-7 ids of one millisecond), so the primary key and the village index grow at their right edge instead of
/// splitting pages all over; sealing reuses each thread's cipher; and into a tenant with no residents yet the
/// INSERT needs no ON CONFLICT arbitration (every unique index probed before each row), because duplicates within
/// the file are dropped here and nobody else is registered (booklets likewise). Should a registration race the load, the unique
/// indexes still refuse it, and the load runs again, arbitrating every row.
/// </remarks>
public sealed class ResidentBulkLoader(PlatformDatabase db, IdentityProtector protector, TimeProvider time)
{
    // Small enough that a chunk (and the statement trigger's copy of it) stays in memory: about 3 MB.
    private const int ChunkRows = 10_000;

    /// <summary>A validated row: its lookup hash, and the row already encoded for COPY (see <see cref="CopyRows"/>).</summary>
    private sealed record Prepared(byte[] IdHash, BulkResident Row, byte[] CopyRow);

    /// <summary>Rows [Start, Start + Length) of the input: each either prepared or rejected.</summary>
    private sealed record Chunk(int Start, Prepared?[] Rows, string?[] Rejections);

    public async Task<BulkLoadResult> LoadAsync(string tenantId, IReadOnlyList<BulkResident> residents, CancellationToken ct)
    {
        try
        {
            return await LoadOnceAsync(tenantId, residents, arbitrate: false, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Someone registered one of these people while the load assumed nobody could: all of it rolled back.
            return await LoadOnceAsync(tenantId, residents, arbitrate: true, ct);
        }
    }

    private async Task<BulkLoadResult> LoadOnceAsync(string tenantId, IReadOnlyList<BulkResident> residents, bool arbitrate,
        CancellationToken ct)
    {
        var now = time.UtcNow();
        var today = ShanghaiCalendar.Today(time);
        var ids = new RisingIds(now);
        return await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var villages = (await DivisionQueries.VillagesWithPopulationAsync(conn, tx, tenantId, ct)).Select(v => v.Code)
                .ToHashSet(StringComparer.Ordinal);
            var arbitrateResidents = arbitrate || await TenantHasRowsAsync(conn, tx, "residents", tenantId, ct);
            var arbitrateBooklets = arbitrate || await TenantHasRowsAsync(conn, tx, "households", tenantId, ct);
            await using (var create = new NpgsqlCommand(
                "CREATE TEMP TABLE resident_staging (LIKE residents) ON COMMIT DROP", conn, tx))
                await create.ExecuteNonQueryAsync(ct);

            var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var producer = Task.Run(() => PrepareAllAsync(tenantId, residents, today, now, ids, chunks.Writer, stop.Token), stop.Token);

            var rejections = new List<BulkRejection>();
            var seen = new HashSet<LookupKey>(residents.Count);
            var heads = new HashSet<string>(StringComparer.Ordinal);
            var booklets = new Dictionary<string, (string VillageCode, int Members)>(StringComparer.Ordinal);
            int inserted = 0, copied = 0, skipped = 0;
            try
            {
                await foreach (var chunk in chunks.Reader.ReadAllAsync(stop.Token))
                {
                    var accepted = new List<Prepared>(chunk.Rows.Length);
                    for (var k = 0; k < chunk.Rows.Length; k++)
                    {
                        var rowNumber = chunk.Start + k + 1;
                        if (chunk.Rejections[k] is { } reason) rejections.Add(new BulkRejection(rowNumber, reason));
                        else if (chunk.Rows[k] is not { } p) continue;
                        else if (!villages.Contains(p.Row.VillageCode)) rejections.Add(new BulkRejection(rowNumber, ErrorReasons.Code(ErrorReason.UnknownVillage)));
                        else if (!seen.Add(LookupKey.Of(p.IdHash))) skipped++; // the same person earlier in the file
                        else
                        {
                            if (p.Row.HouseholdNumber is { } booklet)
                            {
                                booklets[booklet] = booklets.TryGetValue(booklet, out var known)
                                    ? (string.CompareOrdinal(known.VillageCode, p.Row.VillageCode) <= 0 ? known.VillageCode : p.Row.VillageCode, known.Members + 1)
                                    : (p.Row.VillageCode, 1);
                                if (p.Row.Relationship == "head" && !heads.Add(booklet))
                                {
                                    skipped++; // a second head of the booklet
                                    continue;
                                }
                            }
                            accepted.Add(p);
                        }
                    }
                    copied += accepted.Count;
                    inserted += await CopyAndInsertAsync(conn, tx, accepted, arbitrateResidents, ct);
                }
            }
            finally
            {
                await stop.CancelAsync();
                try { await producer; }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            }

            var households = await UpsertHouseholdsAsync(conn, tx, tenantId, booklets, now, arbitrateBooklets, ct);
            return new BulkLoadResult(residents.Count, inserted, skipped + copied - inserted, rejections, households);
        }, ct);
    }

    /// <summary>Validates and seals the rows chunk by chunk, each chunk on every core, handing chunks on in input order.</summary>
    private async Task PrepareAllAsync(string tenantId, IReadOnlyList<BulkResident> residents, DateOnly today, DateTimeOffset now,
        RisingIds ids, ChannelWriter<Chunk> chunks, CancellationToken ct)
    {
        try
        {
            for (var start = 0; start < residents.Count; start += ChunkRows)
            {
                var length = Math.Min(ChunkRows, residents.Count - start);
                var chunk = new Chunk(start, new Prepared?[length], new string?[length]);
                Parallel.For(0, length, new ParallelOptions { CancellationToken = ct }, k =>
                {
                    var row = residents[start + k];
                    if (NationalId.TryParse(row.NationalId, today, out var id) != NationalIdError.None)
                    {
                        chunk.Rejections[k] = ErrorReasons.Code(ErrorReason.InvalidNationalId);
                        return;
                    }
                    var phone = row.Phone is { Length: > 0 } text ? PhoneNumber.Normalise(text) : null;
                    if (row.Phone is { Length: > 0 } && phone is null)
                    {
                        chunk.Rejections[k] = ErrorReasons.Code(ErrorReason.InvalidPhone);
                        return;
                    }
                    var residentId = ids.At(start + k);
                    var hash = protector.LookupHash(id);
                    chunk.Rows[k] = new Prepared(hash, row, CopyRows.Encode(tenantId, residentId,
                        protector.Encrypt(id.Value, $"{tenantId}/{residentId}/national_id"), hash, id.BirthDate,
                        id.Sex == Sex.Male ? "male" : "female", row,
                        phone is null ? null : protector.Encrypt(phone, $"{tenantId}/{residentId}/phone"), now));
                });
                // The channel is bounded: waiting here keeps at most a few chunks ahead of the database.
                await chunks.WriteAsync(chunk, ct);
            }
            chunks.Complete();
        }
        catch (Exception ex)
        {
            chunks.Complete(ex);
            throw;
        }
    }

    /// <summary>Whether <paramref name="table"/> (a fixed name, never input) holds any row of the tenant.</summary>
    private static async Task<bool> TenantHasRowsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table, string tenantId,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {table} WHERE tenant_id = $1)", conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Copies one chunk into the staging table and moves it into residents; returns how many rows landed.</summary>
    private static async Task<int> CopyAndInsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<Prepared> rows, bool arbitrate,
        CancellationToken ct)
    {
        if (rows.Count == 0) return 0;
        // The rows were encoded on every core; the connection only streams bytes, so PostgreSQL never waits for them.
        await using (var copy = await conn.BeginRawBinaryCopyAsync($"COPY resident_staging ({CopyRows.Columns}) FROM STDIN (FORMAT BINARY)", ct))
        {
            await copy.WriteAsync(CopyRows.Header, ct);
            foreach (var p in rows) await copy.WriteAsync(p.CopyRow, ct);
            await copy.WriteAsync(CopyRows.Trailer, ct);
        }

        // Staging rows are in row order, so ids rise as they go in. Without arbitration a duplicate still fails on
        // the unique indexes; LoadAsync then runs again with it.
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO residents ({CopyRows.Columns})
            SELECT {CopyRows.Columns}
            FROM resident_staging
            {(arbitrate ? "ON CONFLICT DO NOTHING" : "")}
            """, conn, tx) { CommandTimeout = 0 };
        var inserted = await insert.ExecuteNonQueryAsync(ct);
        await using var empty = new NpgsqlCommand("TRUNCATE resident_staging", conn, tx);
        await empty.ExecuteNonQueryAsync(ct);
        return inserted;
    }

    /// <summary>Records each booklet's village and member count from the file; returns how many booklets it touched.</summary>
    private static async Task<int> UpsertHouseholdsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Dictionary<string, (string VillageCode, int Members)> booklets, DateTimeOffset now, bool arbitrate, CancellationToken ct)
    {
        if (booklets.Count == 0) return 0;
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE household_staging (household_number text, village_code text, members int) ON COMMIT DROP", conn, tx))
            await create.ExecuteNonQueryAsync(ct);
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY household_staging (household_number, village_code, members) FROM STDIN (FORMAT BINARY)", ct))
        {
            copy.Timeout = TimeSpan.Zero;
            foreach (var (number, (village, members)) in booklets)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(number, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(village, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(members, NpgsqlDbType.Integer, ct);
            }
            await copy.CompleteAsync(ct);
        }
        // Booklet numbers are unique here already; a tenant with no booklets yet needs no arbitration either.
        await using var upsert = new NpgsqlCommand($"""
            INSERT INTO households (tenant_id, household_number, village_code, booklet_member_count, updated_at)
            SELECT $1, household_number, village_code, least(members, 99), $2 FROM household_staging ORDER BY household_number
            {(arbitrate ? "ON CONFLICT (tenant_id, household_number) DO UPDATE SET village_code = excluded.village_code, " +
                "booklet_member_count = excluded.booklet_member_count, updated_at = excluded.updated_at" : "")}
            """, conn, tx) { CommandTimeout = 0 };
        upsert.Parameters.Add(new() { Value = tenantId });
        upsert.Parameters.Add(new() { Value = now });
        return await upsert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A lookup hash as a set key without hex text: four words of the 32-byte HMAC.</summary>
    private readonly record struct LookupKey(ulong A, ulong B, ulong C, ulong D)
    {
        public static LookupKey Of(byte[] hash)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(hash.AsSpan(0, 32));
            return new LookupKey(words[0], words[1], words[2], words[3]);
        }
    }
}

/// <summary>
/// Resident rows in PostgreSQL's binary COPY format (a field count, then each field as its length and bytes, -1 for
/// NULL; integers big-endian; dates in days and timestamps in microseconds from 2000-01-01), so that rows can be
/// encoded in parallel and the connection only streams them.
/// </summary>
internal static class CopyRows
{
    public const string Columns = "tenant_id, resident_id, national_id_encrypted, national_id_hash, birth_date, sex, name, "
        + "village_code, household_number, registration_type, phone_encrypted, created_at, relationship";
    private const short FieldCount = 13;
    private static readonly int Epoch = new DateOnly(2000, 1, 1).DayNumber;
    private static readonly long EpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>The signature "PGCOPY\n\377\r\n\0", no flags, no header extension.</summary>
    public static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0A, 0xFF, 0x0D, 0x0A, 0x00,
        0, 0, 0, 0, 0, 0, 0, 0];

    public static readonly byte[] Trailer = [0xFF, 0xFF];

    public static byte[] Encode(string tenantId, Guid residentId, byte[] idEncrypted, byte[] idHash, DateOnly birthDate, string sex,
        BulkResident row, byte[]? phoneEncrypted, DateTimeOffset createdAt)
    {
        var utf8 = Encoding.UTF8;
        var length = 2 + Text(tenantId) + 4 + 16 + 4 + idEncrypted.Length + 4 + idHash.Length + 4 + 4 + Text(sex) + Text(row.Name)
            + Text(row.VillageCode) + Text(row.HouseholdNumber) + Text(row.RegistrationType) + 4 + (phoneEncrypted?.Length ?? 0)
            + 4 + 8 + Text(row.Relationship);
        var buffer = new byte[length];
        var at = 0;
        BinaryPrimitives.WriteInt16BigEndian(buffer, FieldCount);
        at += 2;
        PutText(tenantId);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), 16);
        residentId.TryWriteBytes(buffer.AsSpan(at + 4), bigEndian: true, out _);
        at += 20;
        PutBytes(idEncrypted);
        PutBytes(idHash);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), 4);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at + 4), birthDate.DayNumber - Epoch);
        at += 8;
        PutText(sex);
        PutText(row.Name);
        PutText(row.VillageCode);
        PutText(row.HouseholdNumber);
        PutText(row.RegistrationType);
        PutBytes(phoneEncrypted);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), 8);
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(at + 4), (createdAt.UtcTicks - EpochTicks) / TimeSpan.TicksPerMicrosecond);
        at += 12;
        PutText(row.Relationship);
        return at == length ? buffer : throw new InvalidOperationException("COPY row length mismatch.");

        static int Text(string? text) => 4 + (text is null ? 0 : Encoding.UTF8.GetByteCount(text));

        void PutText(string? text)
        {
            if (text is null)
            {
                BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), -1);
                at += 4;
                return;
            }
            var written = utf8.GetBytes(text, buffer.AsSpan(at + 4));
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), written);
            at += 4 + written;
        }

        void PutBytes(byte[]? bytes)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), bytes is null ? -1 : bytes.Length);
            bytes?.CopyTo(buffer.AsSpan(at + 4));
            at += 4 + (bytes?.Length ?? 0);
        }
    }
}

/// <summary>
/// Version-7 ids (RFC 9562) that rise with their index: the load's millisecond, a counter from a random start in the
/// 42 bits after it (method 1 of §6.2), and 32 random bits. Inserted in index order, they append to a B-tree instead of
/// landing on random pages.
/// </summary>
public sealed class RisingIds
{
    private readonly long _unixMs;
    private readonly long _counterStart;

    public RisingIds(DateTimeOffset now)
    {
        _unixMs = now.ToUnixTimeMilliseconds();
        // Leave room for 2^41 ids above the start, so the counter never wraps within a load.
        _counterStart = Random.Shared.NextInt64(0, 1L << 41);
    }

    public Guid At(int index)
    {
        var counter = _counterStart + index;
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes, _unixMs << 16); // 48-bit timestamp, then 16 bits below
        bytes[6] = (byte)(0x70 | (int)((counter >> 38) & 0x0F));       // version 7, counter bits 41..38
        bytes[7] = (byte)(counter >> 30);                               // counter bits 37..30
        bytes[8] = (byte)(0x80 | (int)((counter >> 24) & 0x3F));       // variant 10, counter bits 29..24
        bytes[9] = (byte)(counter >> 16);
        bytes[10] = (byte)(counter >> 8);
        bytes[11] = (byte)counter;
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes[12..]);
        return new Guid(bytes, bigEndian: true);
    }
}
