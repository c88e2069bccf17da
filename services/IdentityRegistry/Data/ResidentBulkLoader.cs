using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Npgsql;
using NpgsqlTypes;

namespace Medins.IdentityRegistry.Data;

/// <summary>One resident of a bulk load. <see cref="Relationship"/> and <see cref="RegistrationType"/> are stored texts.</summary>
public sealed record BulkResident(string NationalId, string Name, string VillageCode, string? HouseholdNumber, string? Relationship,
    string RegistrationType, string? Phone);

public sealed record BulkRejection(int RowNumber, string Reason);

public sealed record BulkLoadResult(int Read, int Inserted, int Skipped, IReadOnlyList<BulkRejection> Rejections, int Households);

/// <summary>
/// Loads a whole tenant's residents and household booklets at once (the first load of a county, a yearly refresh
/// from the police register). Rows are validated and their identifiers encrypted in parallel, copied with binary
/// COPY into a staging table (COPY cannot write a table under row-level security), then moved into the residents
/// table by one INSERT that row-level security checks. People already registered, and a second head of a booklet,
/// are skipped. No resident.registered events: a bulk load brings in existing records, not new registrations.
/// </summary>
public sealed class ResidentBulkLoader(PlatformDatabase db, IdentityProtector protector, TimeProvider time)
{
    private sealed record Prepared(Guid ResidentId, byte[] IdEncrypted, byte[] IdHash, DateOnly BirthDate, string Sex,
        BulkResident Row, byte[]? PhoneEncrypted);

    public async Task<BulkLoadResult> LoadAsync(string tenantId, IReadOnlyList<BulkResident> residents, CancellationToken ct)
    {
        var now = time.UtcNow();
        var today = ShanghaiCalendar.Today(time);
        var prepared = new Prepared?[residents.Count];
        var rejections = new BulkRejection?[residents.Count];
        Parallel.For(0, residents.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            var row = residents[i];
            if (NationalId.TryParse(row.NationalId, today, out var id) != NationalIdError.None)
            {
                rejections[i] = new BulkRejection(i + 1, "INVALID_NATIONAL_ID");
                return;
            }
            var phone = row.Phone is { Length: > 0 } text ? PhoneNumber.Normalise(text) : null;
            if (row.Phone is { Length: > 0 } && phone is null)
            {
                rejections[i] = new BulkRejection(i + 1, "INVALID_PHONE");
                return;
            }
            var residentId = Guid.CreateVersion7(now);
            prepared[i] = new Prepared(residentId, protector.Encrypt(id.Value, $"{tenantId}/{residentId}/national_id"), protector.LookupHash(id),
                id.BirthDate, id.Sex == Sex.Male ? "male" : "female", row,
                phone is null ? null : protector.Encrypt(phone, $"{tenantId}/{residentId}/phone"));
        });

        return await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            await using (var create = new NpgsqlCommand("""
                CREATE TEMP TABLE resident_staging (LIKE residents) ON COMMIT DROP;
                ALTER TABLE resident_staging ADD COLUMN row_number int
                """, conn, tx))
                await create.ExecuteNonQueryAsync(ct);

            await using (var copy = await conn.BeginBinaryImportAsync("""
                COPY resident_staging (tenant_id, resident_id, national_id_encrypted, national_id_hash, birth_date, sex, name,
                  village_code, household_number, registration_type, phone_encrypted, created_at, relationship, row_number)
                FROM STDIN (FORMAT BINARY)
                """, ct))
            {
                copy.Timeout = TimeSpan.Zero; // a whole county takes longer than a command's default 30 s
                for (var i = 0; i < prepared.Length; i++)
                {
                    if (prepared[i] is not { } p) continue;
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(tenantId, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(p.ResidentId, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(p.IdEncrypted, NpgsqlDbType.Bytea, ct);
                    await copy.WriteAsync(p.IdHash, NpgsqlDbType.Bytea, ct);
                    await copy.WriteAsync(p.BirthDate, NpgsqlDbType.Date, ct);
                    await copy.WriteAsync(p.Sex, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(p.Row.Name, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(p.Row.VillageCode, NpgsqlDbType.Text, ct);
                    await WriteNullableAsync(copy, p.Row.HouseholdNumber, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(p.Row.RegistrationType, NpgsqlDbType.Text, ct);
                    await WriteNullableAsync(copy, p.PhoneEncrypted, NpgsqlDbType.Bytea, ct);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                    await WriteNullableAsync(copy, p.Row.Relationship, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(i + 1, NpgsqlDbType.Integer, ct);
                }
                await copy.CompleteAsync(ct);
            }

            await using (var analyse = new NpgsqlCommand("ANALYZE resident_staging", conn, tx))
                await analyse.ExecuteNonQueryAsync(ct);
            var rejected = rejections.Where(r => r is not null).Select(r => r!).ToList();
            await using (var unknownVillages = new NpgsqlCommand("""
                DELETE FROM resident_staging s
                WHERE NOT EXISTS (SELECT 1 FROM divisions d WHERE d.tenant_id = $1 AND d.code = s.village_code AND d.level = 'village')
                RETURNING row_number
                """, conn, tx) { CommandTimeout = 0 })
            {
                unknownVillages.Parameters.Add(new() { Value = tenantId });
                await using var reader = await unknownVillages.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) rejected.Add(new BulkRejection(reader.GetInt32(0), "UNKNOWN_VILLAGE"));
            }

            int inserted;
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO residents (tenant_id, resident_id, national_id_encrypted, national_id_hash, birth_date, sex, name,
                  village_code, household_number, registration_type, phone_encrypted, created_at, relationship)
                SELECT tenant_id, resident_id, national_id_encrypted, national_id_hash, birth_date, sex, name,
                  village_code, household_number, registration_type, phone_encrypted, created_at, relationship
                FROM resident_staging ORDER BY row_number
                ON CONFLICT DO NOTHING
                """, conn, tx) { CommandTimeout = 0 })
                inserted = await insert.ExecuteNonQueryAsync(ct);

            int households;
            await using (var booklets = new NpgsqlCommand("""
                INSERT INTO households (tenant_id, household_number, village_code, booklet_member_count, updated_at)
                SELECT $1, household_number, min(village_code), least(count(*), 99), $2
                FROM resident_staging WHERE household_number IS NOT NULL
                GROUP BY household_number
                ON CONFLICT (tenant_id, household_number) DO UPDATE SET
                  village_code = excluded.village_code, booklet_member_count = excluded.booklet_member_count, updated_at = excluded.updated_at
                """, conn, tx) { CommandTimeout = 0 })
            {
                booklets.Parameters.Add(new() { Value = tenantId });
                booklets.Parameters.Add(new() { Value = now });
                households = await booklets.ExecuteNonQueryAsync(ct);
            }

            var valid = prepared.Count(p => p is not null);
            var villageRejections = rejected.Count - rejections.Count(r => r is not null);
            return new BulkLoadResult(residents.Count, inserted, valid - villageRejections - inserted,
                rejected.OrderBy(r => r.RowNumber).ToList(), households);
        }, ct);
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct) where T : class =>
        value is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(value, type, ct);
}
