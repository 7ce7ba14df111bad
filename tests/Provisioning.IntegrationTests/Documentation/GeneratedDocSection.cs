namespace Provisioning.IntegrationTests.Documentation;

/// <summary>
/// A part of a doc file between two markers that the code produces: a test asserts it is current, or rewrites it when
/// <c>PROVISIONING_UPDATE_DOCS=1</c>.
/// </summary>
internal static class GeneratedDocSection
{
    public static void AssertCurrent(string path, string begin, string end, IEnumerable<string> lines, string whatDiffers)
    {
        var section = string.Join('\n', lines.Prepend(begin).Append(end));
        var text = File.ReadAllText(path);
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"{path} has no generated section between '{begin}' and '{end}'.");
        var current = text[start..(stop + end.Length)];
        if (current != section && Environment.GetEnvironmentVariable("PROVISIONING_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..start] + section + text[(stop + end.Length)..]);
            return;
        }

        Assert.True(current == section, $"{whatDiffers}; run the tests with PROVISIONING_UPDATE_DOCS=1. Expected:\n{section}");
    }
}
