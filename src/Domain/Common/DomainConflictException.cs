namespace Provisioning.Domain.Common;

/// <summary>A change the current state does not allow (409), such as deleting a tenant's last account key.</summary>
public sealed class DomainConflictException(string message) : ExpectedException("conflict", 409, message);
