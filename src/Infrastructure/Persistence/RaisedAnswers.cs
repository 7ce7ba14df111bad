namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The SQLSTATEs the service's own SQL raises to hand back an answer, not a fault: an <c>Idempotency-Key</c> already
/// answered (a replay) or still running, a budget passed, a suspended subtree. Npgsql records each as a failed command, so
/// a trace of a replay carried an error span (a probe of the OTLP export); what reads the spans asks here. (<c>PX503</c>, a
/// secret refused under a retired master key, is a fault and not among them.)
/// </summary>
public static class RaisedAnswers
{
    public static bool Contains(string? sqlState) => sqlState is Idempotency.IdempotencyStore.AnsweredState or Idempotency.IdempotencyStore.InProgressState
        or TenantBudgets.BudgetPassedState or TenantBudgets.SuspendedState;
}
