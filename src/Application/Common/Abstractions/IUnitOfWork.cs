namespace Provisioning.Application.Common.Abstractions;

/// <summary>Runs a command's work in one database transaction.</summary>
public interface IUnitOfWork
{
    /// <summary>Runs <paramref name="work"/> in a transaction, committing when it returns and rolling back when it throws.</summary>
    Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken);
}
