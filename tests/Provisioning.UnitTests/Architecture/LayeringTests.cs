using NetArchTest.Rules;

namespace Provisioning.UnitTests.Architecture;

/// <summary>References point inward only: WebApi → Infrastructure → Application → Domain.</summary>
public sealed class LayeringTests
{
    private static readonly System.Reflection.Assembly Domain = typeof(Provisioning.Domain.Apps.App).Assembly;
    private static readonly System.Reflection.Assembly Application = typeof(Provisioning.Application.DependencyInjection).Assembly;
    private static readonly System.Reflection.Assembly Infrastructure = typeof(Provisioning.Infrastructure.DependencyInjection).Assembly;

    [Fact]
    public void Domain_DependsOnNoOtherLayerNorFramework()
    {
        var result = Types.InAssembly(Domain).ShouldNot().HaveDependencyOnAny(
            "Provisioning.Application", "Provisioning.Infrastructure", "Provisioning.WebApi",
            "Microsoft.EntityFrameworkCore", "Microsoft.AspNetCore", "Mediator", "FluentValidation", "Npgsql").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Application_DependsOnNeitherInfrastructureNorWebApi()
    {
        var result = Types.InAssembly(Application).ShouldNot().HaveDependencyOnAny(
            "Provisioning.Infrastructure", "Provisioning.WebApi", "Microsoft.AspNetCore", "Npgsql").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void Infrastructure_DependsOnNeitherWebApiNorAspNetCore()
    {
        // It may reference the shared framework (Microsoft.Extensions.*), but HTTP is the WebApi's: an HttpContext here
        // would pass unnoticed otherwise (a newcomer's review).
        var result = Types.InAssembly(Infrastructure).ShouldNot().HaveDependencyOnAny("Provisioning.WebApi", "Microsoft.AspNetCore").GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void WebApi_ReachesTheDatabaseOnlyThroughApplicationPorts_FromControllersAuthenticationAndContracts()
    {
        var result = Types.InAssembly(typeof(Program).Assembly)
            .That().ResideInNamespace("Provisioning.WebApi.Controllers")
            .Or().ResideInNamespace("Provisioning.WebApi.Authentication")
            .Or().ResideInNamespace("Provisioning.WebApi.Contracts")
            .Or().ResideInNamespace("Provisioning.WebApi.Idempotency")
            .ShouldNot().HaveDependencyOnAny("Provisioning.Infrastructure", "Microsoft.EntityFrameworkCore", "Npgsql")
            .GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void TheOperatorsMessages_AreSentByTheHostingCodeAlone_NeverByARoute()
    {
        // [SystemMessage]s skip the caller's authorization (the host is their authority: delete-tenant deletes any tenant).
        var system = Application.GetTypes()
            .Where(t => t.GetCustomAttributes(typeof(Provisioning.Application.Common.Security.SystemMessageAttribute), false).Length > 0)
            .Select(t => t.FullName!).ToArray();
        Assert.Contains("Provisioning.Application.Tenants.Commands.DeleteTenantAsOperator.DeleteTenantAsOperatorCommand", system);
        var result = Types.InAssembly(typeof(Program).Assembly)
            .That().DoNotResideInNamespace("Provisioning.WebApi.Hosting")
            .And().DoNotResideInNamespace("Mediator") // the generated mediator, which knows every message
            .ShouldNot().HaveDependencyOnAny(system)
            .GetResult();
        Assert.True(result.IsSuccessful, Describe(result));
    }

    [Fact]
    public void ProjectReferences_PointInward()
    {
        static string[] Refs(System.Reflection.Assembly a) =>
            [.. a.GetReferencedAssemblies().Select(r => r.Name!).Where(n => n.StartsWith("Provisioning.", StringComparison.Ordinal))];

        Assert.Empty(Refs(Domain));
        Assert.Equal(["Provisioning.Domain"], Refs(Application));
        Assert.DoesNotContain("Provisioning.WebApi", Refs(Infrastructure));
    }

    [Fact]
    public void DomainAggregates_HaveNoPublicSetters()
    {
        var offenders = Domain.GetTypes()
            .Where(t => t.IsClass && !typeof(Exception).IsAssignableFrom(t) && t.Namespace?.StartsWith("Provisioning.Domain", StringComparison.Ordinal) == true)
            .SelectMany(t => t.GetProperties().Where(p => p.SetMethod?.IsPublic == true && !IsInitOnly(p)).Select(p => $"{t.Name}.{p.Name}"))
            .ToList();
        Assert.Empty(offenders);
    }

    private static bool IsInitOnly(System.Reflection.PropertyInfo p) =>
        p.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");

    private static string Describe(TestResult result) =>
        "Outward references in: " + string.Join(", ", result.FailingTypeNames ?? []);
}
