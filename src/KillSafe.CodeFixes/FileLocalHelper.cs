using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.CodeFixes;

/// <summary>
/// Adds a <c>file static class</c> helper (C# 11) to a file once: fixes whose pattern is longer than a
/// statement (stale socket removal, a process lock) call it instead of repeating code at every site.
/// </summary>
internal static class FileLocalHelper
{
    public static bool IsAvailable(SyntaxNode root) =>
        root.SyntaxTree.Options is not CSharpParseOptions options || options.LanguageVersion >= LanguageVersion.CSharp11;

    /// <summary>Adds the class <paramref name="className"/> written in <paramref name="source"/> unless the file has it already.</summary>
    public static SyntaxNode EnsureDeclared(SyntaxNode root, string className, string source)
    {
        if (root is not CompilationUnitSyntax unit)
            return root;
        if (unit.DescendantNodes().OfType<ClassDeclarationSyntax>().Any(c => c.Identifier.ValueText == className && c.Modifiers.Any(SyntaxKind.FileKeyword)))
            return root;

        var options = (CSharpParseOptions?)root.SyntaxTree.Options ?? CSharpParseOptions.Default;
        var helper = (MemberDeclarationSyntax)SyntaxFactory.ParseCompilationUnit(source.Replace("\r\n", "\n").Replace("\n", System.Environment.NewLine), options: options).Members[0];
        helper = helper.WithLeadingTrivia(SyntaxFactory.ParseLeadingTrivia(System.Environment.NewLine).AddRange(helper.GetLeadingTrivia().SkipWhile(t => t.IsKind(SyntaxKind.EndOfLineTrivia))));

        // A file-scoped namespace owns everything after it; a file-local class may live there too.
        if (unit.Members.OfType<FileScopedNamespaceDeclarationSyntax>().FirstOrDefault() is { } fileScoped)
            return unit.ReplaceNode(fileScoped, fileScoped.AddMembers(helper));
        return unit.AddMembers(helper);
    }
}
