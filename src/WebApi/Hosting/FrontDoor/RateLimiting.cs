using System.Globalization;
using System.Threading.RateLimiting;
using Provisioning.Application.Common.Logging;
using Provisioning.Application.Common.Metrics;
using Provisioning.Infrastructure.Credentials;
using Provisioning.WebApi.Authentication;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// The framework's rate limiter, partitioned by key id (so one noisy credential cannot starve the
/// others) or, before authentication succeeds, by client address (a customer's requests at once: <see cref="CustomerConcurrency"/>).
/// Refusals are 429 <c>too_many_requests</c> with <c>Retry-After</c>.
/// <para>And, before authentication, failed attempts per client address and key id (<see cref="GuardFailedAttempts"/>):
/// past their budgets a key id, or an address but for the keys it has used successfully, is refused before any
/// credential is looked at, so guessing secrets is slow and a flood of wrong ones from one address never reaches the
/// database. (The limiter above runs after authentication, where a right secret has already moved the request into its
/// key's partition.)</para>
/// </summary>
public static class RateLimiting
{
    public static IServiceCollection AddProvisioningRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var options = StartupChecks.Run(() => configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>()) ?? new RateLimitOptions();
        var permits = options.PermitsPerMinute;
        if (permits < 0)
        {
            // Read as "off" (the limiter's and the failed-attempt guard's), a typo would have turned the brute-force guard off.
            throw new StartupException($"{RateLimitOptions.Section}:PermitsPerMinute must be 0 (no limit) or more; it is {permits}.");
        }

        var concurrent = options.ConcurrentRequestsPerCustomer;
        if (concurrent is < 0 or > CustomerConcurrency.Most)
        {
            throw new StartupException(
                $"{RateLimitOptions.Section}:ConcurrentRequestsPerCustomer must be 0 (no limit) to {CustomerConcurrency.Most}; it is {concurrent}.");
        }

        services.AddSingleton(sp => new CustomerConcurrency(
            concurrent, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CustomerConcurrency>>(),
            sp.GetRequiredService<ServiceMetrics>()));

        // Made by the container, so disposed by it (its limiters, its cache).
        services.AddSingleton(sp => new FailedAttempts(
            permits, sp.GetRequiredService<ILogger<FailedAttempts>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ServiceMetrics>()));
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (permits <= 0)
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                var partition = context.User.FindFirst(CredentialClaims.KeyId)?.Value
                    ?? ClientOf(context);
                return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = permits,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = (context, cancellationToken) => new ValueTask(RefuseAsync(context.HttpContext, context.Lease));
        });
        return services;
    }

    /// <summary>
    /// Middleware before authentication. Credentials sent that do not authenticate count one failed attempt against the
    /// client address, and one against the address and the key id they named (<see cref="FailedAttempts"/>), whatever the
    /// request is answered: a 401, or a 429 of the limiter after authentication (which counts an unauthenticated request
    /// against its address), or a route that needs no credentials. (Counting only 401s let a client that had used up its
    /// address's share guess on without end: a wrong secret was 429 and never counted, the right one moved the request into
    /// its key's partition, 200.) Refused with 429 before their credentials are checked, right or wrong: a key id that used
    /// up its share of failures from this address (guessing one key's secret stops); and, once the address used up its whole
    /// budget (a spray of key ids, which would each reach the database), every request but those naming a key that has
    /// authenticated from this address lately. So one misbehaving client behind a shared address (a NAT, an integration
    /// server running many tenants' jobs) does not lock out the others — but for a key whose id it sends with wrong
    /// secrets, which is refused from there, right secret included, even if it authenticated there before: exempted and
    /// checked (tried on 2026-12-03), a wrong secret met the address's share of the limiter (429) and the right one its
    /// key's (200), an oracle a probe drove at 13,000 guesses a second. A request without credentials guessed nothing and
    /// counts nothing; one whose key could not be looked up for want of a turn (503) counts against the address only. (A
    /// provisioning key refused inside a request its caller's own key authenticated is no failed attempt of that key: the
    /// limiter above holds the caller to its key's share.)
    /// </summary>
    public static async Task GuardFailedAttempts(HttpContext context, RequestDelegate next)
    {
        var failures = context.RequestServices.GetRequiredService<FailedAttempts>();
        if (failures.Off)
        {
            await next(context);
            return;
        }

        var address = ClientOf(context);
        if (failures.HaveFailed(address))
        {
            using var refusal = failures.Refusal(address, KeyIdOf(context.Request));
            if (refusal is not null)
            {
                failures.Refused();
                await RefuseAsync(context, refusal);
                return;
            }
        }

        // Not reached when the request throws (the database away while a key is looked up): an outage is no failed attempt.
        try
        {
            await next(context);
        }
        catch (Infrastructure.Credentials.CredentialLookupsBusyException) when (context.User.FindFirst(CredentialClaims.KeyId) is null)
        {
            // Its key not looked up for want of a turn (503): no secret was checked, so no guess of the key id's, but a
            // lookup this address asked for, counted against the address alone — else one address kept the lookups' queue
            // full past its budget (a probe: 34,954 such 503s against its 1,200 failures a minute).
            failures.CountAddress(address);
            throw;
        }

        if (context.User.FindFirst(CredentialClaims.KeyId)?.Value is { } authenticated)
        {
            failures.Proven(address, authenticated);
        }
        else if (KeyIdOf(context.Request) is { } keyId)
        {
            failures.Count(address, keyId);
        }
    }

    /// <summary>
    /// The key id a request's credentials name, "" for credentials that name none (malformed, another scheme), null for
    /// none sent. Read only when needed: not for a request that authenticates from an address without failures.
    /// </summary>
    private static string? KeyIdOf(HttpRequest request) =>
        string.IsNullOrWhiteSpace(request.Headers.Authorization.ToString())
            ? null
            : PresentedCredentials.KeyIdOf(request) ?? string.Empty;

    /// <summary>
    /// The client a request is counted against, before authentication: its address, or for IPv6 its /64 (one host or one
    /// subscriber's network; its 2^64 addresses are one client's to rotate through, and would otherwise each get a
    /// budget of their own). IPv4-mapped IPv6 counts as the IPv4 address.
    /// </summary>
    private static string ClientOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "ip:unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return "ip:" + address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return "ip:" + new System.Net.IPAddress(bytes) + "/64";
    }

    /// <summary>
    /// 429 with <c>Retry-After</c>: when the lease's window opens (a fixed window's refusal says it), or else in a second (a
    /// customer's full queue, <see cref="CustomerConcurrency"/>: it frees as its requests are answered).
    /// </summary>
    internal static Task RefuseAsync(HttpContext context, RateLimitLease? lease)
    {
        var retryAfter = lease is not null && lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var (code, title) = ErrorEnvelope.ForStatus(StatusCodes.Status429TooManyRequests);
        return ErrorEnvelope.WriteAsync(context, StatusCodes.Status429TooManyRequests, code, title);
    }

    /// <summary>
    /// The failed attempts of the current minute per client address (<c>PermitsPerMinute</c> of them), and per address and
    /// key id (a tenth of that, at least one); and the key ids that authenticated from each address in the last hour or
    /// two. None of it is kept when limiting is off. Per process, like the limiter (docs/operations.md).
    /// </summary>
    public sealed class FailedAttempts(int permits, ILogger<FailedAttempts> logger, TimeProvider clock, ServiceMetrics metrics) : IDisposable
    {
        private readonly OnceEvery _refusals = new(clock);

        public bool Off => permits <= 0;

        /// <summary>Failures per address (used only when not <see cref="Off"/>).</summary>
        private readonly PartitionedRateLimiter<string> _byAddress = PerMinute(permits);

        /// <summary>Failures per address and key id: "address key id".</summary>
        private readonly PartitionedRateLimiter<string> _byKey = PerMinute(Math.Max(1, permits / 10));

        /// <summary>Address and key id of keys that authenticated from the address (for an hour or two): served while the address is refused.</summary>
        private readonly RecentNames _proven = RecentNames.ForAnHour(clock);

        /// <summary>
        /// Addresses with a failed attempt in the last minute or two (since the failure, not since their last request: one
        /// that failed once is not held for as long as it keeps sending): only theirs are held to the budgets above, so only
        /// they have partitions there. (Asking the address's limiter whether it had failed made a partition, ≈ 300 bytes,
        /// for every address a request came from, failed or not: a probe's 110,000 addresses signing in rightly left as
        /// many.) When more than 100,000 addresses fail within a minute, the set forgets some early; every address is then
        /// held to the budgets until it has not done so for a minute (a review: cycling through 200,000 addresses, each
        /// forgotten in turn, guessed unchecked).
        /// </summary>
        private readonly RecentNames _failing = new(TimeSpan.FromMinutes(1), 100_000, clock);

        /// <summary>Whether the address has failed lately (the common case, no failure, costs one lookup and makes nothing).</summary>
        public bool HaveFailed(string address) => _failing.WasAdded(address) || _failing.ForgotEarlyLately;

        /// <summary>
        /// A lease to refuse the request with (its <c>Retry-After</c>), or null to let it be authenticated. A request without
        /// credentials (<paramref name="keyId"/> null) is held to the address's budget only: credentials that name no key
        /// ("") failing are no reason to refuse it.
        /// </summary>
        public RateLimitLease? Refusal(string address, string? keyId)
        {
            // The address first: refused whole, a spray of made-up key ids adds no entry per key id (it added one to the
            // per-key limiter for every refused request, 50 MB in 30 s of a flood; a probe).
            var byAddress = _byAddress.AttemptAcquire(address, 0);
            if (!byAddress.IsAcquired && (string.IsNullOrEmpty(keyId) || !_proven.Contains(address, keyId)))
            {
                return byAddress;
            }

            byAddress.Dispose();
            if (keyId is not null)
            {
                var byKey = _byKey.AttemptAcquire(Pair(address, keyId), 0);
                if (!byKey.IsAcquired)
                {
                    return byKey;
                }

                byKey.Dispose();
            }

            return null;
        }

        /// <summary>
        /// A request refused: counted (<c>provisioning.failed_attempts.refused</c>), and said at Warning at most once a minute,
        /// with the count since. (Failed authentications themselves are not logged one by one: the authentication handler's
        /// lines are off by default, appsettings.json.)
        /// </summary>
        public void Refused()
        {
            metrics.FailedAttemptGuardRefused();
            _refusals.Say((refused, since) => logger.LogWarning(
                "Failed-attempt guard: {Refused} request(s) refused with 429 since {Since:u}, before their credentials were checked: " +
                "from a client address past {Permits} failed attempts a minute, or naming a key id past its share of them from that " +
                "address (docs/errors.md, 429)", refused, since, permits));
        }

        /// <summary>A failed attempt of the address alone (no key id's secret was checked).</summary>
        public void CountAddress(string address)
        {
            _failing.Add(address);
            _byAddress.AttemptAcquire(address).Dispose();
        }

        /// <summary>A failed attempt of the address, and of the key id from it.</summary>
        public void Count(string address, string keyId)
        {
            CountAddress(address);
            _byKey.AttemptAcquire(Pair(address, keyId)).Dispose();
        }

        public void Proven(string address, string keyId) => _proven.Add(address, keyId);

        public void Dispose()
        {
            _byAddress.Dispose();
            _byKey.Dispose();
            _refusals.Dispose();
        }

        private static string Pair(string address, string keyId) => address + " " + keyId;

        private static PartitionedRateLimiter<string> PerMinute(int limit) => PartitionedRateLimiter.Create<string, string>(key =>
            RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
    }
}
