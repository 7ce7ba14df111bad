namespace Provisioning.Application.Common.Abstractions;

/// <summary>What the store says about a key when a request arrives with it.</summary>
public enum IdempotencyClaim
{
    /// <summary>First time: the request runs, and its answer is saved in the same transaction.</summary>
    Run,

    /// <summary>The same request ran before: its answer is sent again.</summary>
    Replay,

    /// <summary>A different request ran with this key: 422, nothing runs.</summary>
    Reused,

    /// <summary>A request with this key is running right now: 409 with <c>Retry-After</c>, nothing runs.</summary>
    InProgress,
}
