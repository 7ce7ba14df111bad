using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Provisioning.UnitTests.Architecture;

/// <summary>
/// Where a reader looks for a type by its name, the file has that name and holds that type only: the wire contracts
/// (<c>WebApi/Contracts</c>), the area-level files of the Application (DTOs, mappers, shared helpers such as
/// <c>Tenants/TenantViews</c>), the Domain, the Application's <c>Common</c> (ports, behaviors, exceptions), every
/// validator, and all of Infrastructure and WebApi but the migrations and <c>Program.cs</c>. A use case's message and its handler share one file (the slice
/// convention); its validator never does. The source is read as text: a top-level type starts a line (namespaces are
/// file-scoped), a nested one is indented.
/// </summary>
public sealed partial class SourceLayoutTests
{
    private static readonly string Src = SourceRoot();

    [Fact]
    public void Contracts_HoldOneTypePerFile_NamedAfterIt() =>
        AssertOneTypeNamedAfterTheFile(Directory.EnumerateFiles(Path.Combine(Src, "WebApi", "Contracts"), "*.cs", SearchOption.AllDirectories));

    [Fact]
    public void ApplicationAreaFiles_HoldOneTypePerFile_NamedAfterIt()
    {
        var areas = Directory.EnumerateDirectories(Path.Combine(Src, "Application"))
            .Where(d => Path.GetFileName(d) is not ("Common" or "bin" or "obj"));
        var files = areas.SelectMany(a => Directory.EnumerateFiles(a, "*.cs", SearchOption.TopDirectoryOnly)).ToList();
        Assert.NotEmpty(files);
        AssertOneTypeNamedAfterTheFile(files);
    }

    [Fact]
    public void DomainAndApplicationCommon_HoldOneTypePerFile_NamedAfterIt()
    {
        var files = SourceFiles(Path.Combine(Src, "Domain")).Concat(SourceFiles(Path.Combine(Src, "Application", "Common"))).ToList();
        Assert.NotEmpty(files);
        AssertOneTypeNamedAfterTheFile(files);
    }

    [Fact]
    public void InfrastructureAndWebApi_HoldOneTypePerFile_NamedAfterIt()
    {
        // Not the migrations (EF's generated pairs) nor Program.cs (top-level statements and the partial Program).
        var files = SourceFiles(Path.Combine(Src, "Infrastructure")).Concat(SourceFiles(Path.Combine(Src, "WebApi")))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Contains("Migrations") && Path.GetFileName(f) != "Program.cs")
            .ToList();
        Assert.NotEmpty(files);
        AssertOneTypeNamedAfterTheFile(files);
    }

    [Fact]
    public void Validators_HaveFilesOfTheirOwn()
    {
        var files = SourceFiles(Path.Combine(Src, "Application")).Where(f => Validator().IsMatch(File.ReadAllText(f))).ToList();
        Assert.NotEmpty(files);
        AssertOneTypeNamedAfterTheFile(files);
    }

    [Theory]
    [InlineData("public sealed record A(int X);", "A")]
    [InlineData("/// <summary>A class of its own.</summary>\npublic static partial class A\n{\n    public sealed record Nested;\n}", "A")]
    [InlineData("public abstract record A(int X)\n{\n    public sealed record B(int X) : A(X);\n\n    private sealed class C;\n}", "A")]
    [InlineData("public readonly record struct A(string V);\n\ninternal enum B { One }", "A,B")]
    [InlineData("public sealed record A;\n\npublic sealed class AValidator : AbstractValidator<A>\n{\n}", "A,AValidator")]
    public void TopLevelTypes_AreCountedButNotNestedOnes(string source, string expected) =>
        Assert.Equal(expected.Split(','), TopLevelTypeNames(source));

    private static void AssertOneTypeNamedAfterTheFile(IEnumerable<string> files)
    {
        var offenders = files
            .Select(f => (File: Path.GetRelativePath(Src, f), Name: Path.GetFileNameWithoutExtension(f), Types: TopLevelTypeNames(File.ReadAllText(f))))
            .Where(f => f.Types.Count != 1 || f.Types[0] != f.Name)
            .Select(f => $"{f.File}: [{string.Join(", ", f.Types)}]")
            .ToList();
        Assert.True(offenders.Count == 0, "Each file must hold exactly one top-level type, named like the file: " + string.Join("; ", offenders));
    }

    private static List<string> TopLevelTypeNames(string source) =>
        [.. TopLevelType().Matches(source).Select(m => m.Groups["name"].Value)];

    private static IEnumerable<string> SourceFiles(string project) =>
        Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    private static string SourceRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", "..", "src"));

    [GeneratedRegex(@"^(?:(?:public|internal|file|sealed|static|abstract|partial|readonly)\s+)*(?:record\s+struct|record\s+class|record|class|enum|interface|struct)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"\bclass\s+\w+\s*(?:\([^)]*\))?\s*:\s*(?:FluentValidation\.)?AbstractValidator<")]
    private static partial Regex Validator();
}
