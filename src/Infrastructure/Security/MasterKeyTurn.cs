namespace Provisioning.Infrastructure.Security;

/// <summary>What a master-key check's finding changed for a running instance (<see cref="MasterKeyRetirement.CheckFound"/>): said once each.</summary>
internal enum MasterKeyTurn
{
    None,

    /// <summary>Its key is retired, from a check that found it was not before, or confirming a notice.</summary>
    Retired,

    /// <summary>Its key is not retired after all: a notice no rotation sent, or an older build's rotation back to it.</summary>
    NoLongerRetired,
}
