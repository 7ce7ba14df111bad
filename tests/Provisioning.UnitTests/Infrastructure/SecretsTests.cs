using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Security;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class SecretsTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    /// <summary>Where the secrets of these tests are stored (one row's binding; SecretBinding's own test is below).</summary>
    private static readonly SecretBinding B = SecretBinding.OfStoredAnswer("act_0123456789abcdef01234567", "retry-1");

    [Fact]
    public void AProtectorDisposedAtAStop_SaysTheRetirementsClearedItHeldBack()
    {
        var protector = new AesGcmSecretProtector(Key);
        var said = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            protector.Retirement.Cleared.Say((count, _) => said.Add(count)); // the first at once, the others held back a minute
        }

        Assert.Equal([1], said);
        protector.Dispose();
        Assert.Equal([1, 2], said);
        protector.Dispose(); // the container disposes it once per registration it is served under: said once
        Assert.Equal([1, 2], said);
    }

    [Fact]
    public void Protector_RoundTrips_WithAFreshNonceEachTime()
    {
        var protector = new AesGcmSecretProtector(Key);
        var a = protector.Protect("s3cret-value", B);
        var b = protector.Protect("s3cret-value", B);
        Assert.NotEqual(a, b);
        Assert.Equal("s3cret-value", protector.Unprotect(a, B));
        Assert.Equal("s3cret-value", protector.Unprotect(b, B));
    }

    [Fact]
    public void Protector_DetectsTamperingAndTheWrongKey()
    {
        var protected1 = new AesGcmSecretProtector(Key).Protect("s3cret-value", B);
        var tampered = (byte[])protected1.Clone();
        tampered[^1] ^= 1;
        // Said with the key the secret names (its fingerprint: the first 4 bytes of the key's SHA-256), so that an operator
        // knows which key to give, or that none would help.
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Key)[..4]);
        Assert.Equal($"No configured master key decrypts this secret, not even the one of fingerprint {fingerprint} it names: it was altered, " +
                     "or copied from where it was stored.",
            Assert.Throws<SecretAlteredException>(() => new AesGcmSecretProtector(Key).Unprotect(tampered, B)).Message);
        Assert.Equal($"No configured master key decrypts this secret, which names the master key of fingerprint {fingerprint}.",
            Assert.Throws<MasterKeyMissingException>(() => new AesGcmSecretProtector(RandomNumberGenerator.GetBytes(32)).Unprotect(protected1, B)).Message);
        var version1 = (byte[])protected1.Clone();
        version1[0] = 1; // (the first format named no key; these bytes decrypt under none)
        Assert.Equal("No configured master key decrypts this secret, which is of version 1 (it names no key).",
            Assert.Throws<MasterKeyMissingException>(() => new AesGcmSecretProtector(Key).Unprotect(version1, B)).Message);
        Assert.ThrowsAny<CryptographicException>(() => new AesGcmSecretProtector(Key).Unprotect(new byte[] { 9, 9, 9 }, B));
    }

    [Fact]
    public void ASecret_DecryptsOnlyWhereItWasStored_NotCopiedIntoAnotherRow()
    {
        // Someone who can write to the database but has no master key copies a ciphertext into another row: to read it through
        // that row's answer (an app key's GET returns its secret), or to make a key of their choosing with a secret they know.
        var protector = new AesGcmSecretProtector(Key);
        var appKey = SecretBinding.OfKey("app_0123456789abcdef01234567", KeyKind.App, "tenant-a", null, "app-1");
        var secret = protector.Protect("s3cret-value", appKey);
        Assert.Equal("s3cret-value", protector.Unprotect(secret, appKey));
        Assert.True(protector.IsUnderCurrentKey(secret));
        foreach (var elsewhere in new[]
                 {
                     SecretBinding.OfKey("app_0123456789abcdef01234568", KeyKind.App, "tenant-a", null, "app-1"), // another key's row
                     SecretBinding.OfKey("app_0123456789abcdef01234567", KeyKind.Account, "tenant-a", null, "app-1"), // its kind changed
                     SecretBinding.OfKey("app_0123456789abcdef01234567", KeyKind.App, "root", null, "app-1"), // moved to another tenant
                     SecretBinding.OfKey("app_0123456789abcdef01234567", KeyKind.App, "tenant-a", null, "app-2"), // to another app
                     SecretBinding.OfKey("app_0123456789abcdef01234567", KeyKind.App, "tenant-a", "app-1", null), // owner as a service account
                     SecretBinding.OfStoredAnswer("app_0123456789abcdef01234567", "tenant-a"), // a stored answer's row
                     SecretBinding.CheckValue,
                 })
        {
            Assert.Contains("it was altered, or copied from where it was stored",
                Assert.Throws<SecretAlteredException>(() => protector.Unprotect(secret, elsewhere)).Message);
        }

        // Each seal under a key of its own (HKDF of the master key with a salt of 16 random bytes after the key id): no two
        // seals share a salt, and one whose salt is changed does not open.
        Assert.Equal(1 + 4 + 16 + 12 + 16 + "s3cret-value".Length, secret.Length);
        var again = protector.Protect("s3cret-value", appKey);
        Assert.NotEqual(secret.AsSpan(5, 16).ToArray(), again.AsSpan(5, 16).ToArray());
        var salted = (byte[])secret.Clone();
        salted[5] ^= 1;
        Assert.Throws<SecretAlteredException>(() => protector.Unprotect(salted, appKey));

        // Nor as an older version (bound to nothing), its version byte changed: the tag covers the binding, and version 1's
        // layout reads other bytes as the nonce and tag.
        foreach (var older in new byte[] { 2, 1 })
        {
            var downgraded = (byte[])secret.Clone();
            downgraded[0] = older;
            Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(downgraded, appKey));
        }

        // default(SecretBinding) names no row: refused, never taken as "bound to nothing".
        Assert.Throws<ArgumentException>(() => protector.Protect("s3cret-value", default));
        Assert.Throws<ArgumentException>(() => protector.Unprotect(secret, default));

        // A binding's parts are length-prefixed, an absent one is not an empty one: no two rows' bindings are the same bytes.
        Assert.NotEqual(SecretBinding.OfStoredAnswer("ab", "c").Bytes, SecretBinding.OfStoredAnswer("a", "bc").Bytes);
        Assert.NotEqual(SecretBinding.OfKey("k", KeyKind.App, "t", null, "").Bytes, SecretBinding.OfKey("k", KeyKind.App, "t", "", null).Bytes);
        Assert.Equal(appKey.Bytes, SecretBinding.OfKey("app_0123456789abcdef01234567", KeyKind.App, "tenant-a", null, "app-1").Bytes);
    }

    [Fact]
    public void AVersion2Secret_WrittenBeforeBindings_StillDecryptsAnywhere_AndIsLeftForTheRotationToBind()
    {
        // Version 2: the layout of version 3 with nothing bound (2026-12-02 to 2026-12-06). Read wherever it is until
        // rotate-secrets rewrites it as version 3, also under the same key: not as the current key writes it.
        var protector = new AesGcmSecretProtector(Key);
        var plaintext = "written-before"u8.ToArray();
        var v2 = new byte[1 + 4 + 12 + 16 + plaintext.Length];
        v2[0] = 2;
        protector.CurrentKeyId.CopyTo(v2, 1);
        RandomNumberGenerator.Fill(v2.AsSpan(5, 12));
        using (var aes = new AesGcm(Key, 16))
        {
            aes.Encrypt(v2.AsSpan(5, 12), plaintext, v2.AsSpan(33), v2.AsSpan(17, 16));
        }

        Assert.Equal("written-before", protector.Unprotect(v2, B));
        Assert.Equal("written-before", protector.Unprotect(v2, SecretBinding.CheckValue));
        Assert.False(protector.IsUnderCurrentKey(v2));
        Assert.Equal(protector.CurrentKeyId, protector.KeyIdThatDecrypts(v2, SecretBinding.CheckValue));
        Assert.Equal([3, .. protector.CurrentKeyId], protector.CurrentKeyHeader);
    }

    [Fact]
    public void Protector_WithPreviousKeys_DecryptsWhatTheyProtected_AndEncryptsUnderTheCurrentOne()
    {
        var old = RandomNumberGenerator.GetBytes(32);
        var underOld = new AesGcmSecretProtector(old).Protect("rotated", B);
        var rotating = new AesGcmSecretProtector(Key, [old]);
        Assert.Equal("rotated", rotating.Unprotect(underOld, B));
        Assert.False(rotating.IsUnderCurrentKey(underOld));
        var underNew = rotating.Protect("rotated", B);
        Assert.True(rotating.IsUnderCurrentKey(underNew));
        Assert.Equal("rotated", new AesGcmSecretProtector(Key).Unprotect(underNew, B));
        Assert.ThrowsAny<CryptographicException>(() => new AesGcmSecretProtector(Key).Unprotect(underOld, B));
    }

    [Fact]
    public void Protector_WhoseKeyWasFoundRetired_WritesNothingUnderIt_ButStillReads_AndWritesAgainOnceItIsNot()
    {
        // (MasterKeyCheck tells it; a straggler of a rotation's rollout must not store secrets under the key the database left.)
        var protector = new AesGcmSecretProtector(Key);
        var before = protector.Protect("kept", B);
        Assert.Equal(MasterKeyTurn.None, protector.Retirement.CheckFound(protector.Retirement.CheckBegins(), retired: true, sayIfTurned: true)); // (the first check: a start, refused for it)
        var refused = Assert.Throws<MasterKeyRetiredException>(() => protector.Protect("late", B));
        Assert.Contains("was retired by a finished rotate-secrets", refused.Message);
        Assert.DoesNotContain("late", refused.Message);
        Assert.Equal("kept", protector.Unprotect(before, B));
        Assert.Equal(MasterKeyTurn.NoLongerRetired, protector.Retirement.CheckFound(protector.Retirement.CheckBegins(), retired: false, sayIfTurned: true)); // (an older build's rotation back to it)
        Assert.Equal("again", protector.Unprotect(protector.Protect("again", B), B));
    }

    [Fact]
    public void Retirement_KeepsRetiredAgainstEveryCheckBegunBeforeItWasFound_AndSaysOnceWhenARunningInstancesKeyTurnsRetired()
    {
        // A /readyz that read the database before a rotation committed must not clear what a check that read after it found,
        // whichever began first or answers last (two reviews).
        var retirement = new MasterKeyRetirement();
        Assert.Equal(MasterKeyTurn.None, retirement.CheckFound(retirement.CheckBegins(), retired: false, sayIfTurned: false)); // the start
        var readAfterTheCommit = retirement.CheckBegins(); // (began first, waited for a connection)
        var readBeforeTheCommit = retirement.CheckBegins();
        Assert.Equal(MasterKeyTurn.Retired, retirement.CheckFound(readAfterTheCommit, retired: true, sayIfTurned: true));
        Assert.Equal(MasterKeyTurn.None, retirement.CheckFound(readBeforeTheCommit, retired: false, sayIfTurned: true));
        Assert.True(retirement.IsRetired);
        Assert.Equal(MasterKeyTurn.None, retirement.CheckFound(retirement.CheckBegins(), retired: true, sayIfTurned: true)); // (said once)

        // A start's own checks say nothing (it refuses with its sentence); a check begun after the finding clears it, and says so.
        var starting = new MasterKeyRetirement();
        Assert.Equal(MasterKeyTurn.None, starting.CheckFound(starting.CheckBegins(), retired: false, sayIfTurned: false));
        Assert.Equal(MasterKeyTurn.None, starting.CheckFound(starting.CheckBegins(), retired: true, sayIfTurned: false));
        Assert.Equal(MasterKeyTurn.NoLongerRetired, starting.CheckFound(starting.CheckBegins(), retired: false, sayIfTurned: true));
        Assert.False(starting.IsRetired);
    }

    [Fact]
    public void Retirement_RefusesOnANotice_AtOnce_SaysItWhenACheckConfirms_AndANoticeNoRotationSentIsUndoneByTheNextCheck()
    {
        // Any session of the database can send the notice: refused at once (no read on the listener's thread), said at Error
        // only when the database confirms it, undone (and said) when a check begun after it finds the key not retired.
        var spoofed = new MasterKeyRetirement();
        spoofed.CheckFound(spoofed.CheckBegins(), retired: false, sayIfTurned: false); // the start
        var begunBefore = spoofed.CheckBegins();
        spoofed.NoticeHeard();
        Assert.True(spoofed.IsRetired);
        Assert.Equal(MasterKeyTurn.None, spoofed.CheckFound(begunBefore, retired: false, sayIfTurned: true)); // (read before it)
        Assert.True(spoofed.IsRetired);
        Assert.Equal(MasterKeyTurn.NoLongerRetired, spoofed.CheckFound(spoofed.CheckBegins(), retired: false, sayIfTurned: true));
        Assert.False(spoofed.IsRetired);

        // A rotation's notice: confirmed, said once.
        var straggler = new MasterKeyRetirement();
        straggler.CheckFound(straggler.CheckBegins(), retired: false, sayIfTurned: false);
        straggler.NoticeHeard();
        Assert.Equal(MasterKeyTurn.Retired, straggler.CheckFound(straggler.CheckBegins(), retired: true, sayIfTurned: true));
        Assert.Equal(MasterKeyTurn.None, straggler.CheckFound(straggler.CheckBegins(), retired: true, sayIfTurned: true));
        straggler.NoticeHeard(); // (a second run's notice: nothing new to say)
        Assert.Equal(MasterKeyTurn.None, straggler.CheckFound(straggler.CheckBegins(), retired: true, sayIfTurned: true));

        // A check begun before the notice that reads "retired" confirms it (the rotation committed before its read).
        var early = new MasterKeyRetirement();
        early.CheckFound(early.CheckBegins(), retired: false, sayIfTurned: false);
        var begun = early.CheckBegins();
        early.NoticeHeard();
        Assert.Equal(MasterKeyTurn.Retired, early.CheckFound(begun, retired: true, sayIfTurned: true));
        Assert.Equal(MasterKeyTurn.None, early.CheckFound(early.CheckBegins(), retired: true, sayIfTurned: true));

        // A spoof, its check under way, then the rotation's own notice: that check (begun before the real one) must not
        // clear it (a review: "retired" was moved only when it turned, so the spoof's check undid the real notice).
        var both = new MasterKeyRetirement();
        both.CheckFound(both.CheckBegins(), retired: false, sayIfTurned: false);
        both.NoticeHeard();
        var spoofsCheck = both.CheckBegins();
        both.NoticeHeard(); // the rotation's
        Assert.Equal(MasterKeyTurn.None, both.CheckFound(spoofsCheck, retired: false, sayIfTurned: true));
        Assert.True(both.IsRetired);
        Assert.Equal(MasterKeyTurn.Retired, both.CheckFound(both.CheckBegins(), retired: true, sayIfTurned: true));
    }

    [Fact]
    public void Protector_StillReadsVersion1Secrets_WrittenBeforeRotationExisted()
    {
        // Version 1: 1 | nonce (12) | tag (16) | ciphertext, under the key, with no key id.
        var plaintext = "legacy-secret"u8.ToArray();
        var v1 = new byte[1 + 12 + 16 + plaintext.Length];
        v1[0] = 1;
        RandomNumberGenerator.Fill(v1.AsSpan(1, 12));
        using (var aes = new AesGcm(Key, 16))
        {
            aes.Encrypt(v1.AsSpan(1, 12), plaintext, v1.AsSpan(29), v1.AsSpan(13, 16));
        }

        Assert.Equal("legacy-secret", new AesGcmSecretProtector(Key).Unprotect(v1, B));
        Assert.Equal("legacy-secret", new AesGcmSecretProtector(RandomNumberGenerator.GetBytes(32), [Key]).Unprotect(v1, B));
        Assert.False(new AesGcmSecretProtector(Key).IsUnderCurrentKey(v1));

        // The key it is under, found by decrypting (what a finished rotation retires: a version-1 check value names none).
        Assert.Equal(new AesGcmSecretProtector(Key).CurrentKeyId, new AesGcmSecretProtector(RandomNumberGenerator.GetBytes(32), [Key]).KeyIdThatDecrypts(v1, B));
        Assert.Null(new AesGcmSecretProtector(RandomNumberGenerator.GetBytes(32)).KeyIdThatDecrypts(v1, B));
    }

    [Fact]
    public void Protector_SaysWhichConfiguredKeyDecryptsASecretThatNamesItsKey()
    {
        var old = RandomNumberGenerator.GetBytes(32);
        var underOld = new AesGcmSecretProtector(old).Protect("rotated", B);
        Assert.Equal(new AesGcmSecretProtector(old).CurrentKeyId, new AesGcmSecretProtector(Key, [old]).KeyIdThatDecrypts(underOld, B));
        Assert.Null(new AesGcmSecretProtector(Key).KeyIdThatDecrypts(underOld, B));
    }

    [Theory]
    [InlineData(null, "is not set")]
    [InlineData("   ", "is not set")]
    [InlineData("%%%", "not valid base64")]
    [InlineData("AAAA", "decodes to 3 bytes")]
    public void MasterKey_ErrorsSayWhatIsWrong(string? value, string message) =>
        Assert.Contains(message, Assert.Throws<Provisioning.Infrastructure.InvalidSettingException>(() => AesGcmSecretProtector.ParseMasterKey(value)).Message);

    [Fact]
    public void Hasher_IsSha256OfTheUtf8Secret_SoALookupByItFindsOnlyTheSameSecret()
    {
        var hasher = new SecretHasher();
        Assert.Equal(System.Security.Cryptography.SHA256.HashData("provisioning-secret"u8), hasher.Hash("provisioning-secret"));
        Assert.NotEqual(hasher.Hash("provisioning-secret"), hasher.Hash("provisioning-secreT"));
    }

    [Fact]
    public void Generator_Makes256BitUrlSafeSecrets()
    {
        var generator = new SecretGenerator();
        var secrets = Enumerable.Range(0, 100).Select(_ => generator.NewSecret()).ToList();
        Assert.All(secrets, s => Assert.Matches("^[A-Za-z0-9_-]{43}$", s));
        Assert.Equal(100, secrets.Distinct().Count());
    }

    [Fact]
    public async Task TokenIssuer_SignsHs256WithKidScopeIatAndExpFromTheConfiguredLifetime()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var issuer = new JwtTokenIssuer(Options.Create(new JwtOptions { Lifetime = TimeSpan.FromMinutes(10) }), clock);
        var keyId = KeyId.New(KeyKind.ServiceAccount);
        var secret = new SecretGenerator().NewSecret();

        var token = new JsonWebToken(issuer.Issue(keyId, secret, "account"));

        Assert.Equal("HS256", token.Alg);
        Assert.Equal(keyId.Value, token.Kid);
        Assert.Equal("account", token.GetClaim("scope").Value);
        Assert.Equal(clock.GetUtcNow().UtcDateTime, token.IssuedAt);
        Assert.Equal(clock.GetUtcNow().UtcDateTime.AddMinutes(10), token.ValidTo);
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(token.EncodedToken, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            IssuerSigningKey = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(secret)),
        });
        Assert.True(validation.IsValid);
    }
}
