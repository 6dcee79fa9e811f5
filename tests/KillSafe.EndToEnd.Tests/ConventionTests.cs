using System.Text.RegularExpressions;
using KillSafe.CodeFixes;
using KillSafe.RuleDocs;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// Naming conventions of docs/design.md ("Conventions the build enforces") that no analyzer checks: where a
/// rule's tests are, and what a code fix is called.
/// </summary>
public sealed class ConventionTests
{
    private static readonly string RuleTests = Path.Combine(Repo.Root, "tests", "KillSafe.Analyzers.Tests", "Rules");

    // Suites of several rules at once, named by what they share, and the sources their tests begin with.
    private static readonly string[] SharedSuites = ["EngineShapesTests", "ProgramScopeTests", "IpcTestSources"];

    [Fact]
    public void Each_rule_has_its_tests_in_a_file_named_by_its_id()
    {
        var files = Directory.GetFiles(RuleTests, "*.cs").Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList();
        var misnamed = files.Where(f => !Regex.IsMatch(f, @"^KS\d{4}(RealShapes)?Tests$") && !SharedSuites.Contains(f)).ToList();
        Assert.True(misnamed.Count == 0, $"name a rule's test file KSnnnnTests.cs (or KSnnnnRealShapesTests.cs), or add a shared suite to this test: {string.Join(", ", misnamed)}");
        var missing = RuleInfo.All.Select(r => r.Id + "Tests").Where(name => !files.Contains(name)).ToList();
        Assert.True(missing.Count == 0, $"no test file for {string.Join(", ", missing)}");
        var stray = files.Where(f => Regex.IsMatch(f, @"^KS\d{4}")).Select(f => f[..6]).Where(id => RuleInfo.All.All(r => r.Id != id)).ToList();
        Assert.True(stray.Count == 0, $"test files of rules that do not exist: {string.Join(", ", stray)}");
    }

    [Fact]
    public void A_test_file_holds_the_class_of_its_name()
    {
        foreach (var file in Directory.GetFiles(RuleTests, "*.cs"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            // The file's own types (the test sources in its strings declare types of their own).
            var root = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            var classes = root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseNamespaceDeclarationSyntax>()
                .SelectMany(n => n.Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseTypeDeclarationSyntax>()).Select(c => c.Identifier.Text).ToList();
            Assert.True(classes.SequenceEqual([name]), $"{name}.cs declares {string.Join(", ", classes)}");
        }
    }

    [Fact]
    public void A_code_fix_is_named_by_the_edit_it_makes_not_by_the_rule()
    {
        // A fix serves a rule or a family of rules; named after one analyzer, the others' fix would be hard to find.
        var analyzerStems = RuleInfo.All.Select(r => r.AnalyzerName.Replace("Analyzer", string.Empty, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var fixes = typeof(DeleteStaleSocketFileCodeFix).Assembly.GetTypes().Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t)).ToList();
        Assert.NotEmpty(fixes);
        foreach (var fix in fixes)
        {
            Assert.EndsWith("CodeFix", fix.Name, StringComparison.Ordinal);
            Assert.False(analyzerStems.Contains(fix.Name[..^"CodeFix".Length]), $"{fix.Name} is named by its analyzer; name it by the edit it makes");
            Assert.True(File.Exists(Path.Combine(Repo.Root, "src", "KillSafe.CodeFixes", fix.Name + ".cs")), $"{fix.Name} is not in a file of its name");
        }
    }
}
