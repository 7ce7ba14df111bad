using System.Runtime.CompilerServices;

namespace Provisioning.UnitTests.Documentation;

/// <summary>The repository's files, for tests that hold the docs to the code.</summary>
internal static class Repository
{
    /// <summary>The clone's root folder (this file is tests/Provisioning.UnitTests/Documentation/Repository.cs).</summary>
    public static string Root { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", ".."));

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
