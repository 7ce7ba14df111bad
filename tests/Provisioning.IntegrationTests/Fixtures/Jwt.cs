using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>Signs JWTs by hand, as clients do, including malformed and hostile ones for negative tests.</summary>
public static class Jwt
{
    public static string Sign(object header, object payload, string secret) =>
        SignBytes(header, JsonSerializer.SerializeToUtf8Bytes(payload), secret);

    /// <summary>Signs a payload of any bytes, JSON or not (a valid signature over a malformed payload).</summary>
    public static string SignBytes(object header, byte[] payload, string secret) =>
        SignBytes(JsonSerializer.SerializeToUtf8Bytes(header), payload, secret);

    /// <summary>Signs a header and a payload of any bytes (a valid signature over a malformed header, say).</summary>
    public static string SignBytes(byte[] header, byte[] payload, string secret)
    {
        var head = Encode(header);
        var body = Encode(payload);
        var signature = Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes($"{head}.{body}")));
        return $"{head}.{body}.{signature}";
    }

    public static string ForKey(string keyId, string secret, string scope = "account", object? extraClaims = null)
    {
        var payload = new Dictionary<string, object> { ["scope"] = scope };
        if (extraClaims is not null)
        {
            foreach (var p in extraClaims.GetType().GetProperties())
            {
                payload[p.Name] = p.GetValue(extraClaims)!;
            }
        }

        return Sign(new { alg = "HS256", typ = "JWT", kid = keyId }, payload, secret);
    }

    public static string Unsigned(string keyId, string scope = "account")
    {
        var head = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = "none", typ = "JWT", kid = keyId }));
        var body = Encode(JsonSerializer.SerializeToUtf8Bytes(new { scope }));
        return $"{head}.{body}.";
    }

    public static long UnixNow(int offsetSeconds = 0) => DateTimeOffset.UtcNow.AddSeconds(offsetSeconds).ToUnixTimeSeconds();

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
