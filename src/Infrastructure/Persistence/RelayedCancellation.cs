namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A token for work that reaches PostgreSQL, cancelled when another is but with its callbacks run on the thread pool, not
/// on the thread that cancelled. Npgsql answers a cancelled token by sending PostgreSQL a cancel request, under a lock, in
/// the token's callback: with a database that hangs (its processes stopped, its host gone without a reset), whoever
/// cancelled waited there — the host's stop in <c>BackgroundService.StopAsync</c> (≈ 30 s for the revocation listener, a
/// probe), the timer that ends the last key-use flush at a stop (a review).
/// </summary>
internal static class RelayedCancellation
{
    public static CancellationToken Relay(CancellationToken token, out CancellationTokenRegistration registration)
    {
        // Not disposed: its callbacks may still be running when its user has ended (it holds no timer and no parent).
        var relayed = new CancellationTokenSource();
        registration = token.Register(static source => _ = ((CancellationTokenSource)source!).CancelAsync(), relayed);
        return relayed.Token;
    }
}
