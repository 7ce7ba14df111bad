namespace Provisioning.WebApi.Contracts;

/// <summary>
/// <c>{"disabled": true|false}</c>: disables or enables a key. Nothing else: a key's name and expiry are set when it is made,
/// and a field this route would drop (<c>{"disabled":false,"expiresAt":…}</c>, a caller thinking the key now expires) is a
/// 400 naming it.
/// </summary>
public sealed record KeyStateRequest([property: Hosting.OpenApi.SchemaLimits(Required = true)] bool? Disabled)
{
    /// <summary>The flag, or a 400 naming <c>disabled</c> when it is missing.</summary>
    public bool Required() => Disabled
        ?? throw new Application.Common.Exceptions.RequestValidationException("disabled", "disabled is required: true or false.");
}
