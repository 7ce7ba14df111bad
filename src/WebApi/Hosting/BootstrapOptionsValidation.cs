using Microsoft.Extensions.Options;
using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// Refuses bootstrap settings the first start could not use, naming the setting, before anything else runs (and on
/// every start, not only the first). The rules are the bootstrap command's own validator: one place for them.
/// </summary>
internal sealed class BootstrapOptionsValidation : IValidateOptions<BootstrapOptions>
{
    private static readonly BootstrapRootTenantCommandValidator Validator = new();

    public ValidateOptionsResult Validate(string? name, BootstrapOptions options)
    {
        var failures = Validator.Validate(options.ToCommand()).Errors
            .Select(failure => $"{BootstrapOptions.Section}:{failure.ErrorMessage}")
            .ToList();
        // One sentence after another (each ends with its period), not the framework's "; " between failures (".; ").
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(string.Join(" ", failures));
    }
}
