namespace Provisioning.Application.Keys;

/// <summary>A JWT issued for a key.</summary>
public sealed record JwtDto(string Jwt)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Jwt = (secret)");
        return true;
    }
}
