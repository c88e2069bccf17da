namespace Medins.Platform.Testing;

/// <summary>A village to fill and how many people it should hold.</summary>
public sealed record SyntheticVillage(string Code, int Population);

/// <summary>
/// A synthetic person as identity-registry's bulk load takes her: <see cref="Relationship"/> and
/// <see cref="RegistrationType"/> are the registry's stored texts ("head", "household_registered").
/// </summary>
public sealed record SyntheticResident(string NationalId, string Name, string VillageCode, string HouseholdNumber, string Relationship,
    string RegistrationType, string? Phone);

/// <summary>A certified identity row for a synthetic person, in the shape of a department list: the tenant's local code.</summary>
public sealed record SyntheticIdentity(string NationalId, string LocalCode);

public sealed record SyntheticPopulation(List<SyntheticResident> Residents, List<SyntheticIdentity> Identities);

/// <summary>
/// Realistic synthetic residents for demos and load tests: valid GB 11643 numbers under the village's county
/// code, households of one to six people with one head, a rural age mix, a few people registered elsewhere, and
/// a share of certified identities drawn from the tenant's vocabulary. The same seed gives the same people.
/// Plain rows of text, so the test support needs no service: a test or benchmark turns them into the registry's own
/// rows (its bulk loader's, a CSV).
/// </summary>
public sealed class SyntheticResidents(int seed)
{
    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "罗", "高", "林"];
    private static readonly string[] GivenChars = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "英", "华", "平", "刚", "桂", "兰", "玉", "建", "国", "红", "霞"];
    // Household sizes 1–6 (shares in per cent).
    private static readonly (int Size, int Weight)[] HouseholdSizes = [(1, 15), (2, 25), (3, 25), (4, 18), (5, 10), (6, 7)];

    private readonly Random _random = new(seed);
    private readonly Dictionary<(string Region, DateOnly Birth), int> _nextSequence = [];

    /// <summary>
    /// Fills each village with exactly its population. <paramref name="identityShare"/> (0–1) of the people get one
    /// identity from <paramref name="localCodes"/> (the tenant's vocabulary); <paramref name="today"/> bounds birth dates.
    /// </summary>
    public SyntheticPopulation Generate(IReadOnlyList<SyntheticVillage> villages, IReadOnlyList<string> localCodes,
        double identityShare, DateOnly today)
    {
        var residents = new List<SyntheticResident>(villages.Sum(v => v.Population));
        var identities = new List<SyntheticIdentity>();
        foreach (var village in villages)
        {
            var region = village.Code[..6];
            var placed = 0;
            var household = 0;
            while (placed < village.Population)
            {
                var size = Math.Min(PickSize(), village.Population - placed);
                var number = $"{village.Code}-{++household:D5}";
                var headAge = _random.Next(25, 81);
                for (var member = 0; member < size; member++)
                {
                    var (relationship, age) = member switch
                    {
                        0 => ("head", headAge),
                        1 => ("spouse", Math.Clamp(headAge + _random.Next(-5, 6), 20, 95)),
                        4 when headAge < 65 => ("parent", Math.Min(headAge + _random.Next(22, 31), 99)),
                        _ => ("child", Math.Max(headAge - _random.Next(20, 36), 0)),
                    };
                    var male = relationship switch { "head" => _random.Next(10) < 7, "spouse" => false, _ => _random.Next(2) == 0 };
                    var nationalId = MakeId(region, BirthDate(today, age), male);
                    // Most live where they are registered; some adults are registered elsewhere or hold a permit, some young are students.
                    var type = member == 0 ? "household_registered" : _random.Next(100) switch
                    {
                        < 4 => "resident_from_elsewhere",
                        < 5 => "residence_permit",
                        < 7 when age is >= 16 and <= 24 => "student",
                        _ => "household_registered",
                    };
                    var phone = member == 0 || (age >= 18 && _random.Next(3) == 0) ? "13" + _random.Next(0, 1_000_000_000).ToString("D9") : null;
                    residents.Add(new SyntheticResident(nationalId, Name(), village.Code, number, relationship, type, phone));
                    if (localCodes.Count > 0 && _random.NextDouble() < identityShare)
                        identities.Add(new SyntheticIdentity(nationalId, localCodes[_random.Next(localCodes.Count)]));
                }
                placed += size;
            }
        }
        return new SyntheticPopulation(residents, identities);
    }

    private int PickSize()
    {
        var roll = _random.Next(100);
        foreach (var (size, weight) in HouseholdSizes)
        {
            if (roll < weight) return size;
            roll -= weight;
        }
        return 1;
    }

    private DateOnly BirthDate(DateOnly today, int age) => today.AddYears(-age).AddDays(-_random.Next(0, 365));

    private string Name() => Surnames[_random.Next(Surnames.Length)] + GivenChars[_random.Next(GivenChars.Length)]
        + (_random.Next(2) == 0 ? GivenChars[_random.Next(GivenChars.Length)] : "");

    /// <summary>A valid number not handed out before: the sequence is odd for men, even for women (GB 11643).</summary>
    private string MakeId(string region, DateOnly birth, bool male)
    {
        while (true)
        {
            var key = (region, birth);
            var next = _nextSequence.GetValueOrDefault(key, 1);
            if (next % 2 == 0 == male) next++;
            if (next <= 999)
            {
                _nextSequence[key] = next + 1;
                return NationalIds.Make(region, birth, next);
            }
            birth = birth.AddDays(-1); // that day's sequences are used up
        }
    }
}
