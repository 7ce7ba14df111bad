namespace Provisioning.UnitTests.Documentation;

/// <summary>
/// A Markdown table row is one line: a row broken over two (errors.md's 400 row, twice) renders as a broken table, the
/// rest of the row as a row of its own. Every line of a table in README.md and docs/ starts and ends with '|'.
/// </summary>
public sealed class MarkdownTableTests
{
    [Fact]
    public void EveryTableRow_IsOneLine()
    {
        var root = Repository.Root;
        var files = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md").Append(Path.Combine(root, "README.md")).ToList();
        Assert.True(files.Count > 1);
        var broken = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].TrimEnd();
                var inTable = line.StartsWith('|');
                if (inTable && !line.EndsWith('|'))
                {
                    broken.Add($"{Path.GetFileName(file)}:{i + 1} ends without '|'");
                }

                // Text right under a row continues it; a gap, a new row or a block of its own (the generated tables' closing
                // <!-- … --> marker) ends the table.
                if (inTable && i + 1 < lines.Length && lines[i + 1].Length > 0 && !lines[i + 1].StartsWith('|')
                    && !lines[i + 1].StartsWith("<!--", StringComparison.Ordinal))
                {
                    broken.Add($"{Path.GetFileName(file)}:{i + 2} follows a table row without '|'");
                }
            }
        }

        Assert.True(broken.Count == 0, string.Join("; ", broken));
    }
}
