using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace KillSafe.CodeFixes;

/// <summary>
/// The KS2001 alternative for Linux-only code: bind an abstract name (first byte NUL), which creates no
/// file at all. Abstract sockets have no file permissions, so any process in the network namespace can
/// connect (check the peer with SO_PEERCRED), and clients must use the same abstract name (docs/linux-facts.md).
/// </summary>
internal static class AbstractSocketName
{
    public static bool Edit(Microsoft.CodeAnalysis.Editing.SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic)
    {
        if (PathOf(root, diagnostic) is not { } path)
            return false;
        editor.ReplaceNode(path, AbstractName(path));
        return true;
    }

    public static ExpressionSyntax? PathOf(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(StaleUnixSocketFileAnalyzer.PathMakesEndPoint, out var makes) || makes != "true" || diagnostic.AdditionalLocations.Count == 0)
            return null;
        var node = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
        return node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
    }

    private static ExpressionSyntax AbstractName(ExpressionSyntax path)
    {
        if (path is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression))
        {
            var text = "\0" + literal.Token.ValueText;
            return SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(text)).WithTriviaFrom(path);
        }

        var operand = path is BinaryExpressionSyntax or ConditionalExpressionSyntax or AssignmentExpressionSyntax
            ? SyntaxFactory.ParenthesizedExpression(path.WithoutTrivia())
            : path.WithoutTrivia();
        return SyntaxFactory.BinaryExpression(
                SyntaxKind.AddExpression,
                SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("\0")),
                operand)
            .WithTriviaFrom(path)
            .WithAdditionalAnnotations(Formatter.Annotation);
    }
}
