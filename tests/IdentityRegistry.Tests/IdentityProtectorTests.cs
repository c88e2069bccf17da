using System.Security.Cryptography;
using System.Text;
using Medins.IdentityRegistry.Domain;

namespace Medins.IdentityRegistry.Tests;

public class IdentityProtectorTests
{
    private static readonly DateOnly Today = new(2023, 11, 15);

    private static IdentityProtectionOptions RandomKeys() => new()
    {
        IdEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        IdLookupKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    };

    [Fact]
    public void Encrypt_ThenDecryptWithSameBinding_ReturnsPlaintext()
    {
        var protector = IdentityProtector.Create(RandomKeys());

        var sealedValue = protector.Encrypt("11010519491231002X", "cq-lidu/r1/national_id");

        Assert.Equal("11010519491231002X", protector.Decrypt(sealedValue, "cq-lidu/r1/national_id"));
        Assert.DoesNotContain("19491231", Encoding.ASCII.GetString(sealedValue));
    }

    [Fact]
    public void Encrypt_SameValueTwice_DifferentCiphertexts()
    {
        var protector = IdentityProtector.Create(RandomKeys());

        Assert.NotEqual(protector.Encrypt("13800001234", "b"), protector.Encrypt("13800001234", "b"));
    }

    [Fact]
    public void Decrypt_CiphertextMovedToAnotherRow_Refused()
    {
        var protector = IdentityProtector.Create(RandomKeys());
        var sealedValue = protector.Encrypt("11010519491231002X", "cq-lidu/r1/national_id");

        Assert.ThrowsAny<CryptographicException>(() => protector.Decrypt(sealedValue, "cq-lidu/r2/national_id"));
    }

    [Fact]
    public void LookupHash_DependsOnNumberAndKey()
    {
        NationalId.TryParse("11010519491231002X", Today, out var id);
        NationalId.TryParse(TestIds.Make("500118", new DateOnly(1980, 5, 17), 123), Today, out var other);
        var keys = RandomKeys();

        var hash = IdentityProtector.Create(keys).LookupHash(id);

        Assert.Equal(hash, IdentityProtector.Create(keys).LookupHash(id));
        Assert.NotEqual(hash, IdentityProtector.Create(keys).LookupHash(other));
        Assert.NotEqual(hash, IdentityProtector.Create(RandomKeys()).LookupHash(id));
        Assert.NotEqual(SHA256.HashData(Encoding.ASCII.GetBytes(id.Value)), hash);
    }

    [Fact]
    public void Validate_NoKeys_NamesBothSettings()
    {
        var problems = IdentityProtector.Validate(new IdentityProtectionOptions());

        Assert.Contains(problems, p => p.Contains("IdentityRegistry:IdEncryptionKey"));
        Assert.Contains(problems, p => p.Contains("IdentityRegistry:IdLookupKey"));
        Assert.Throws<InvalidOperationException>(() => IdentityProtector.Create(new IdentityProtectionOptions()));
    }

    [Fact]
    public void Validate_ShortOrEqualOrMalformedKeys_Refused()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        Assert.NotEmpty(IdentityProtector.Validate(new() { IdEncryptionKey = Convert.ToBase64String(new byte[16]), IdLookupKey = key }));
        Assert.NotEmpty(IdentityProtector.Validate(new() { IdEncryptionKey = key, IdLookupKey = Convert.ToBase64String(new byte[8]) }));
        Assert.NotEmpty(IdentityProtector.Validate(new() { IdEncryptionKey = key, IdLookupKey = key }));
        Assert.NotEmpty(IdentityProtector.Validate(new() { IdEncryptionKey = "not base64!", IdLookupKey = key }));
        Assert.Empty(IdentityProtector.Validate(RandomKeys()));
    }
}
