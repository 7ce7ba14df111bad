namespace Provisioning.Application.Common.Abstractions;

/// <summary>Makes new random secrets.</summary>
public interface ISecretGenerator
{
    string NewSecret();
}
