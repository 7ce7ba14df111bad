using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Notes that a key was used; written to the database in batches, not on every request.</summary>
public interface IKeyUsageRecorder
{
    void Record(KeyId keyId);
}
