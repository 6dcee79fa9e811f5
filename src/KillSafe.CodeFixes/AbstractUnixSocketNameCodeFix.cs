using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace KillSafe.CodeFixes
{
    /// <summary>
    /// KS2001 alternative fix for Linux-only code: bind an abstract name (first byte NUL), which creates no
    /// file at all. Abstract sockets have no file permissions, so any process in the network namespace can
    /// connect (check the peer with SO_PEERCRED), and clients must use the same abstract name (FACTS.md).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AbstractUnixSocketNameCodeFix)), Shared]
    public sealed class AbstractUnixSocketNameCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS2001.AbstractName";
        public const string Title = "Use an abstract socket name (Linux only; no file, but no permissions: check SO_PEERCRED, clients use the same name)";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(StaleUnixSocketFileAnalyzer.DiagnosticId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
                return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (PathOf(root, diagnostic) is not { } path)
                    continue;
                context.RegisterCodeFix(
                    CodeAction.Create(Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(path, AbstractName(path)))), EquivalenceKey),
                    diagnostic);
            }
        }

        private static ExpressionSyntax? PathOf(SyntaxNode root, Diagnostic diagnostic)
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
}
