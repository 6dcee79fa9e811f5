using System.Text.RegularExpressions;
using KillSafe.Analyzers.Catalog;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// The two halves of the product speak one vocabulary: each resource kind the analyzers flag is a leftover
/// kind that verification reports (or the table in docs/design.md says why it leaves nothing), each leftover
/// kind comes from at least one, and the CLI's <c>--kind</c> names are those of the table.
/// </summary>
public sealed class VocabularyTests
{
    private static readonly IReadOnlyList<(string Resource, string Leftover, string CliName)> Table = Read();

    private static List<(string, string, string)> Read()
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, "docs", "design.md"));
        var section = text[text.IndexOf("## One vocabulary", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        return Regex.Matches(section, @"^\| `(\w+)` \| (.+?) \| (.+?) \|$", RegexOptions.Multiline)
            .Select(m => (m.Groups[1].Value, Name(m.Groups[2].Value), Name(m.Groups[3].Value)))
            .ToList();
    }

    // `Name` for a kind, "" for "- (why not)".
    private static string Name(string cell) => cell.StartsWith('-') ? string.Empty : cell.Trim('`');

    [Fact]
    public void Every_resource_kind_of_the_analyzers_has_one_row()
    {
        Assert.Equal(Enum.GetNames<ResourceKind>().Order(), Table.Select(r => r.Resource).Order());
    }

    [Fact]
    public void Every_leftover_kind_comes_from_a_resource_kind_and_the_rows_name_real_ones()
    {
        var named = Table.Where(r => r.Leftover.Length > 0).Select(r => r.Leftover).ToHashSet();
        Assert.All(named, n => Assert.True(Enum.IsDefined(typeof(LeftoverKind), n), $"{n} is not a LeftoverKind"));
        Assert.Equal(Enum.GetNames<LeftoverKind>().Order(), named.Order());
    }

    [Fact]
    public void The_names_of_sweep_kind_are_those_of_the_table()
    {
        var rows = Table.Where(r => r.CliName.Length > 0).Select(r => (r.CliName, Enum.Parse<LeftoverKind>(r.Leftover))).Distinct().OrderBy(r => r.CliName);
        Assert.Equal(rows, KillSafe.Cli.Program.Kinds.Select(k => (k.Key, k.Value)).OrderBy(r => r.Key));
    }
}
