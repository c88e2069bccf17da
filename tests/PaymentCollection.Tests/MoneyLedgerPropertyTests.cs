using System.Globalization;
using System.Text;
using Grpc.Core;
using Medins.ChannelSimulation;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// The money property over random interleavings: money received = money held by paid orders + money on the review
/// queue + money returned from it, after every step of every history, with no transaction's money in two places and
/// no member order moving without its household order. Steps: member and household confirmations, cancellations
/// (with replayed request ids), expiry (the fake clock), signed channel notices (right and wrong amounts, reused
/// transactions, replays), notices for unknown orders, new orders, and review resolutions (returned, matched to any
/// order or household order or transaction, or to nothing), all through the real gRPC service and notify endpoint
/// on real PostgreSQL. Seeded: MEDINS_MONEY_PROPERTY_SEED and MEDINS_MONEY_PROPERTY_HISTORIES override; a failure
/// prints the seed and the history's steps.
/// </summary>
public sealed class MoneyLedgerPropertyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Lidu = "cq-lidu";
    private const string LiduVillage = "500102901001";
    private const int DefaultSeed = 20231120;
    private const int DefaultHistories = 12;
    private const int StepsPerHistory = 24;
    private PaymentPlatform _p = null!;
    private ChannelSimulator _channel = null!;

    public async Task InitializeAsync()
    {
        _p = await PaymentPlatform.StartAsync();
        _channel = new ChannelSimulator(SimulatorSetup.Demo, _p.Clock, _p.PaymentHttpClient());
    }

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private PaymentCollectionService.PaymentCollectionServiceClient Client => _p.Client(Lidu);

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : fallback;

    [Fact]
    public async Task MoneyLedger_RandomInterleavings_ReceivedEqualsHeldPlusQueuedPlusReturnedAfterEveryStep()
    {
        var seed = FromEnvironment("MEDINS_MONEY_PROPERTY_SEED", DefaultSeed);
        var histories = FromEnvironment("MEDINS_MONEY_PROPERTY_HISTORIES", DefaultHistories);
        var random = new Random(seed);
        var steps = 0;
        var answers = new Dictionary<string, int>();
        for (var h = 0; h < histories; h++)
        {
            var history = new History(h);
            try
            {
                await history.SetUpAsync(this);
                for (var s = 0; s < StepsPerHistory; s++)
                {
                    await history.StepAsync(this, random);
                    steps++;
                    await history.CheckAsync(this);
                }
                foreach (var line in history.Log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var key = line.Split(' ')[0] + " →" + line[(line.LastIndexOf(':') + 1)..];
                    answers[key] = answers.GetValueOrDefault(key) + 1;
                }
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException(
                    $"Money property failed: seed {seed} (MEDINS_MONEY_PROPERTY_SEED), history {h}.\n{history.Log}\n{ex}");
            }
        }
        output.WriteLine($"Money property: seed {seed}, {histories} histories, {steps} steps, ledger checked after each step.");
        foreach (var (key, count) in answers.OrderBy(a => a.Key, StringComparer.Ordinal))
            output.WriteLine($"  {key}: {count}");
    }

    /// <summary>One household of two (Lidu, 380 yuan each: seed 000 §2 tier 1), a neighbour, and their orders.</summary>
    private sealed class History(int index)
    {
        private readonly List<string> _residents = [];
        private readonly List<Guid> _singles = [];
        private readonly Dictionary<string, (long AmountFen, bool Counted)> _transactions = [];
        private readonly List<(Guid OrderId, string Transaction, long AmountFen, bool ViaChannel)> _notices = [];
        private Guid _household;
        private List<Guid> _members = [];
        private long _received;
        private MoneyLedger _start = null!;
        private CancelPaymentOrderRequest? _lastCancel;
        private ResolvePaymentReviewRequest? _lastResolve;
        private int _serial;

        public StringBuilder Log { get; } = new();

        public async Task SetUpAsync(MoneyLedgerPropertyTests t)
        {
            _start = await t._p.MoneyLedgerAsync(Lidu);
            var number = $"PROP-{index:D3}";
            var members = await t._p.RegisterHouseholdAsync(Lidu, LiduVillage, number, 2);
            _residents.AddRange(members.Select(m => m.ResidentId));
            _residents.Add(await t._p.RegisterResidentAsync(Lidu, LiduVillage));
            var household = (await t.Client.CreateHouseholdPaymentOrderAsync(new CreateHouseholdPaymentOrderRequest
            {
                RequestId = Guid.NewGuid().ToString(), HouseholdNumber = number, CoverageYear = 2024,
                Channel = PaymentChannel.VillagePos,
            })).HouseholdOrder;
            _household = Guid.Parse(household.HouseholdOrderId);
            _members = household.MemberOrders.Select(o => Guid.Parse(o.OrderId)).ToList();
            await NewSingleAsync(t, _residents[2]);
        }

        public async Task StepAsync(MoneyLedgerPropertyTests t, Random random)
        {
            switch (random.Next(100))
            {
                case < 14: await PayAsync(t, random, _household, 76000, viaChannel: random.Next(2) == 0); break;
                case < 24: await PayMemberAsync(t, random); break;
                case < 40: await PayAsync(t, random, Pick(random, _singles), 38000, viaChannel: random.Next(2) == 0); break;
                case < 48: await ReplayAsync(t, random); break;
                case < 55: await ReuseAsync(t, random); break;
                case < 60: await PayAsync(t, random, Guid.CreateVersion7(), 38000, viaChannel: false); break;
                case < 68: await CancelAsync(t, random); break;
                case < 73: Note("expire: clock +31 min"); t._p.Clock.Advance(TimeSpan.FromMinutes(31)); break;
                case < 80: await NewSingleAsync(t, Pick(random, _residents)); break;
                default: await ResolveAsync(t, random); break;
            }
        }

        private void Note(string line) => Log.AppendLine(line);

        private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

        private async Task NewSingleAsync(MoneyLedgerPropertyTests t, string resident)
        {
            await Call($"create order for {resident}", async () =>
            {
                var order = (await t.Client.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
                {
                    RequestId = Guid.NewGuid().ToString(), ResidentId = resident, CoverageYear = 2024,
                    Channel = PaymentChannel.VillagePos,
                })).Order;
                _singles.Add(Guid.Parse(order.OrderId));
                return order.OrderId;
            });
        }

        /// <summary>A payer pays: a new transaction, mostly of the right amount, sometimes not.</summary>
        private Task<string?> PayAsync(MoneyLedgerPropertyTests t, Random random, Guid orderId, long priceFen, bool viaChannel)
        {
            var amount = random.Next(5) == 0 ? priceFen + (random.Next(2) == 0 ? -100 : 3800) : priceFen;
            var transaction = $"p{index:D3}-{++_serial:D3}";
            _transactions[transaction] = (amount, false);
            return NoticeAsync(t, orderId, transaction, amount, viaChannel);
        }

        private async Task PayMemberAsync(MoneyLedgerPropertyTests t, Random random)
        {
            var member = Pick(random, _members);
            Assert.Equal("HOUSEHOLD_MEMBER_ORDER", await PayAsync(t, random, member, 38000, viaChannel: false));
        }

        private Task<string?> ReplayAsync(MoneyLedgerPropertyTests t, Random random)
        {
            if (_notices.Count == 0) return Task.FromResult<string?>(null);
            var (orderId, transaction, amount, viaChannel) = Pick(random, _notices);
            return NoticeAsync(t, orderId, transaction, amount, viaChannel, "replay ");
        }

        /// <summary>A transaction already reported, reported again for another order of this history.</summary>
        private Task<string?> ReuseAsync(MoneyLedgerPropertyTests t, Random random)
        {
            if (_transactions.Count == 0) return Task.FromResult<string?>(null);
            var transaction = Pick(random, _transactions.Keys.ToList());
            var targets = _singles.Append(_household).ToList();
            return NoticeAsync(t, Pick(random, targets), transaction, _transactions[transaction].AmountFen,
                random.Next(2) == 0, "reuse ");
        }

        /// <summary>Sends a notice; returns the refusal's reason (gRPC), or null.</summary>
        private async Task<string?> NoticeAsync(MoneyLedgerPropertyTests t, Guid orderId, string transaction, long amountFen,
            bool viaChannel, string kind = "")
        {
            _notices.Add((orderId, transaction, amountFen, viaChannel));
            try
            {
                if (viaChannel)
                {
                    var payment = t._channel.Pay("village_pos", Lidu, orderId, amountFen) with { TransactionId = transaction };
                    var answer = await t._channel.SendAsync(t._channel.Notice(payment));
                    Note($"{kind}notice {transaction} {amountFen} fen → {Name(orderId)}: HTTP {(int)answer.Status}");
                    Assert.True((int)answer.Status < 500, $"the notify endpoint answered {answer.Status}: {answer.Body}");
                    return null;
                }
                else
                {
                    return await Call($"{kind}confirm {transaction} {amountFen} fen → {Name(orderId)}", async () =>
                        (await t.Client.ConfirmPaymentAsync(new ConfirmPaymentRequest
                        {
                            OrderId = orderId.ToString(), ChannelTransactionId = transaction, AmountFen = amountFen,
                        })).ToString());
                }
            }
            finally
            {
                // The channel took the money of a transaction once: count it when the platform kept its notice.
                var (amount, counted) = _transactions[transaction];
                if (!counted && await t._p.ScalarAsync<long>(
                        "SELECT count(*) FROM payment_collection.payment_confirmations WHERE channel_transaction_id = $1",
                        transaction) > 0)
                {
                    _transactions[transaction] = (amount, true);
                    _received += amount;
                }
            }
        }

        private async Task CancelAsync(MoneyLedgerPropertyTests t, Random random)
        {
            CancelPaymentOrderRequest request;
            if (_lastCancel is not null && random.Next(4) == 0)
            {
                request = _lastCancel;
            }
            else
            {
                var all = _singles.Append(_household).Concat(_members).ToList();
                request = new CancelPaymentOrderRequest { RequestId = Guid.NewGuid().ToString(), OrderId = Pick(random, all).ToString() };
            }
            _lastCancel = request;
            var target = Guid.Parse(request.OrderId);
            var error = await Call($"cancel {Name(target)} ({request.RequestId[..8]})", async () =>
                (await t.Client.CancelPaymentOrderAsync(request)).ToString());
            if (_members.Contains(target)) Assert.Equal("HOUSEHOLD_MEMBER_ORDER", error);
        }

        private async Task ResolveAsync(MoneyLedgerPropertyTests t, Random random)
        {
            ResolvePaymentReviewRequest request;
            if (_lastResolve is not null && random.Next(5) == 0)
            {
                request = _lastResolve;
            }
            else
            {
                var open = await OpenReviewsAsync(t);
                if (open.Count == 0) return;
                var returned = random.Next(3) == 0;
                var targets = _singles.Append(_household).Concat(_members).Select(id => id.ToString())
                    .Concat(_transactions.Keys).Append("foo").ToList();
                request = new ResolvePaymentReviewRequest
                {
                    RequestId = Guid.NewGuid().ToString(), ReviewId = Pick(random, open).ToString(),
                    Resolution = returned ? ReviewResolution.ReturnedToPayer : ReviewResolution.MatchedElsewhere,
                    Reference = returned ? $"RET-{index:D3}-{++_serial:D3}" : Pick(random, targets),
                };
            }
            _lastResolve = request;
            await Call($"resolve {request.ReviewId[..8]} {request.Resolution} {Describe(request.Reference)} ({request.RequestId[..8]})",
                async () => (await t.Client.ResolvePaymentReviewAsync(request)).Review.Resolution.ToString());
        }

        private async Task<List<Guid>> OpenReviewsAsync(MoneyLedgerPropertyTests t)
        {
            await using var cmd = t._p.Db.Owner.CreateCommand("""
                SELECT review_id FROM payment_collection.payment_reviews
                WHERE resolved_at IS NULL AND channel_transaction_id = ANY($1) ORDER BY review_id
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = _transactions.Keys.ToArray() });
            var ids = new List<Guid>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
            return ids;
        }

        /// <summary>Runs one call; a refusal is an answer (its reason is returned), a server fault is not.</summary>
        private async Task<string?> Call(string what, Func<Task<string>> call)
        {
            try
            {
                await call();
                Note($"{what}: OK");
                return null;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound
                                              or StatusCode.InvalidArgument)
            {
                Note($"{what}: {ex.StatusCode} {RpcErrors.ReasonOf(ex)}");
                return RpcErrors.ReasonOf(ex);
            }
        }

        private string Name(Guid orderId) =>
            orderId == _household ? "household"
            : _members.IndexOf(orderId) is var m and >= 0 ? $"member{m}"
            : _singles.IndexOf(orderId) is var s and >= 0 ? $"single{s}"
            : "unknown order";

        private string Describe(string reference) =>
            Guid.TryParse(reference, out var id) ? Name(id) : reference;

        /// <summary>The property, and that member orders never move without their household order.</summary>
        public async Task CheckAsync(MoneyLedgerPropertyTests t)
        {
            var ledger = await t._p.MoneyLedgerAsync(Lidu);
            Assert.Equal(0, ledger.DoubleHeld);
            Assert.Equal(_received, ledger.ReceivedFen - _start.ReceivedFen);
            Assert.Equal(0L, await t._p.ScalarAsync<long>("""
                SELECT count(*) FROM payment_collection.payment_orders o
                JOIN payment_collection.household_orders h USING (tenant_id, household_order_id)
                WHERE h.household_order_id = $1 AND o.state <> h.state AND o.personal_amount_fen > 0
                """, _household));
        }
    }
}
