using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
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
    public sealed class AbstractUnixSocketNameCodeFix : DocumentEditingCodeFix
    {
        public const string EquivalenceKey = "KS2001.AbstractName";
        public const string Title = "Use an abstract socket name (Linux only; no file, but no permissions: check SO_PEERCRED, clients use the same name)";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(StaleUnixSocketFileAnalyzer.DiagnosticId);

        internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

        internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
            PathOf(root, diagnostic) is not null;

        internal override bool Edit(FixSession session, Diagnostic diagnostic)
        {
            if (PathOf(session.Root, diagnostic) is not { } path)
                return false;
            session.Editor.ReplaceNode(path, AbstractName(path));
            return true;
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
