using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Provisioning.Domain.Credentials;

namespace Provisioning.WebApi.Authentication;

/// <summary>
/// Tokens JwtBearer has verified (signature, algorithm, header, scope), so that a client sending the same token again —
/// the usual case — does not pay for the verification on every request. Held by a hash of the token, not the token;
/// bounded (when full, new tokens are verified every time until entries expire) and kept a few minutes at most.
/// What is remembered is only what cannot change for a given token: which key signed it and its own <c>nbf</c>/<c>exp</c>.
/// </summary>
public sealed class VerifiedTokens : IDisposable
{
    private const int Capacity = 20_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public sealed record Entry(KeyId KeyId, DateTimeOffset? NotBefore, DateTimeOffset? Expires)
    {
        /// <summary>The lifetime rule JwtBearer applies, with the same skew.</summary>
        public bool IsLiveAt(DateTimeOffset now) =>
            !(NotBefore > now + ConfigureJwtBearerOptions.ClockSkew) && !(Expires < now - ConfigureJwtBearerOptions.ClockSkew);
    }

    public Entry? Find(string token) => _cache.TryGetValue(Fingerprint(token), out Entry? entry) ? entry : null;

    public void Add(string token, Entry entry) =>
        _cache.Set(Fingerprint(token), entry, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Lifetime, Size = 1 });

    public void Dispose() => _cache.Dispose();

    private static string Fingerprint(string token) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
