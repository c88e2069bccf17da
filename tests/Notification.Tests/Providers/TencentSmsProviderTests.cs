using System.Net;
using Medins.Notification.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Medins.Notification.Tests.Providers;

public sealed class TencentSmsProviderTests
{
    // 2023-11-20 00:30 in Beijing is still 2023-11-19 in UTC: the signing date must be the UTC one.
    private static readonly DateTimeOffset Now = new(2023, 11, 19, 16, 30, 0, TimeSpan.Zero);
    private readonly FakeTencentSms _fake = new("AKIDtest", "test-secret-key");
    private readonly TencentSmsOptions _options = new()
    {
        Endpoint = "https://sms.tencentcloudapi.com",
        SecretId = "AKIDtest",
        SecretKey = "test-secret-key",
        SdkAppId = "1400000001",
        SignName = "示例医保",
    };

    private TencentSmsProvider Provider(TencentSmsOptions? options = null) =>
        new(new HttpClient(_fake), Options.Create(options ?? _options), new FakeTimeProvider(Now), NullLogger<TencentSmsProvider>.Instance);

    private static ProviderMessage Message() => new("cq-lidu", Guid.NewGuid(), ChannelNames.Sms, "13800138000", "您已缴纳…", "1234567",
        [new("1", "2024"), new("2", "380.00"), new("3", "2024-01-01")]);

    [Fact]
    public void Tc3Signer_PublishedExample_MatchesPublishedSignature()
    {
        // Tencent Cloud API documentation, "Signature v3" (TC3-HMAC-SHA256), CVM DescribeInstances example: its
        // example SecretKey, timestamp 1551113065, payload and published signature.
        var signature = Tc3Signer.Signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "cvm.tencentcloudapi.com",
            "application/json; charset=utf-8",
            """{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}""", 1551113065);

        Assert.Equal("72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168", signature);
    }

    [Fact]
    public async Task Send_Ok_SignedRequestWithPhoneTemplateAndPositionalParamsAcceptedWithSerialNo()
    {
        _fake.Replies.Enqueue((HttpStatusCode.OK, FakeTencentSms.SendStatus("Ok", "send success", "2640:104571066915705365784949")));
        var message = Message();

        var outcome = await Provider().SendAsync(message, CancellationToken.None);

        Assert.Equal(SendOutcome.Accepted("2640:104571066915705365784949"), outcome);
        var (body, headers) = Assert.Single(_fake.Requests);
        Assert.Equal(["+8613800138000"], body["PhoneNumberSet"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("1234567", (string)body["TemplateId"]!);
        Assert.Equal(["2024", "380.00", "2024-01-01"], body["TemplateParamSet"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("1400000001", (string)body["SmsSdkAppId"]!);
        Assert.Equal("示例医保", (string)body["SignName"]!);
        Assert.Equal(Now.ToUnixTimeSeconds().ToString(), headers["x-tc-timestamp"]);
        Assert.Equal("ap-guangzhou", headers["x-tc-region"]);
        Assert.Contains("/2023-11-19/sms/tc3_request", headers["authorization"]);
    }

    [Fact]
    public async Task Send_WrongSecretKey_FakeRefusesSignatureAndMessageRejected()
    {
        var options = new TencentSmsOptions { SecretId = "AKIDtest", SecretKey = "not-the-key", SdkAppId = "1400000001", SignName = "示例医保" };

        var outcome = await Provider(options).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcomeKind.Rejected, outcome.Kind);
        Assert.StartsWith("AuthFailure.SignatureFailure", outcome.Error);
        Assert.Empty(_fake.Requests);
    }

    [Theory]
    [InlineData("LimitExceeded.PhoneNumberDailyLimit", SendOutcomeKind.RetryLater)]
    [InlineData("InternalError.Timeout", SendOutcomeKind.RetryLater)]
    [InlineData("InvalidParameterValue.IncorrectPhoneNumber", SendOutcomeKind.Rejected)]
    [InlineData("FailedOperation.TemplateIncorrectOrUnapproved", SendOutcomeKind.Rejected)]
    public async Task Send_StatusCode_ClassifiedWithCodeAndMessage(string code, SendOutcomeKind expected)
    {
        _fake.Replies.Enqueue((HttpStatusCode.OK, FakeTencentSms.SendStatus(code, "provider says no")));

        var outcome = await Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(expected, outcome.Kind);
        Assert.Equal($"{code}: provider says no", outcome.Error);
    }

    [Theory]
    [InlineData("RequestLimitExceeded", SendOutcomeKind.RetryLater)]
    [InlineData("UnauthorizedOperation.SmsSdkAppIdVerifyFail", SendOutcomeKind.Rejected)]
    public async Task Send_ResponseError_ClassifiedByCode(string code, SendOutcomeKind expected)
    {
        _fake.Replies.Enqueue((HttpStatusCode.OK, $$$"""{"Response":{"Error":{"Code":"{{{code}}}","Message":"m"},"RequestId":"r"}}"""));

        var outcome = await Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(expected, outcome.Kind);
        Assert.Equal($"{code}: m", outcome.Error);
    }

    [Fact]
    public async Task Send_Http500_RetryLater()
    {
        _fake.Replies.Enqueue((HttpStatusCode.InternalServerError, "oops"));

        var outcome = await Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcomeKind.RetryLater, outcome.Kind);
    }

    [Fact]
    public async Task Send_Unreachable_RetryLater()
    {
        var options = new TencentSmsOptions { Endpoint = "http://127.0.0.1:9", SecretId = "a", SecretKey = "b" };
        var provider = new TencentSmsProvider(new HttpClient(), Options.Create(options), new FakeTimeProvider(Now),
            NullLogger<TencentSmsProvider>.Instance);

        var outcome = await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcomeKind.RetryLater, outcome.Kind);
    }
}
