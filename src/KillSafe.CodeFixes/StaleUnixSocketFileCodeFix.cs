using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace KillSafe.CodeFixes
{
    /// <summary>
    /// KS2001 fix: remove a stale socket file right before the bind, through a file-local helper that
    /// deletes only a socket file nobody listens on (never a regular file, never a live listener's path).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StaleUnixSocketFileCodeFix)), Shared]
    public sealed class StaleUnixSocketFileCodeFix : DocumentEditingCodeFix
    {
        public const string EquivalenceKey = "KS2001.RemoveStaleSocketFile";
        public const string Title = "Remove a stale socket file before binding (only a socket file nobody listens on)";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(StaleUnixSocketFileAnalyzer.DiagnosticId);

        internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

        internal override bool IsAvailable(SyntaxNode root) => StaleSocketHelper.IsAvailable(root);

        internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
            PlanFor(root, model, diagnostic, cancellationToken) is not null;

        internal override bool Edit(FixSession session, Diagnostic diagnostic) =>
            PlanFor(session.Root, session.Model, diagnostic, session.CancellationToken) is { } plan
            && StatementInsertion.InsertBefore(session.Editor, plan.Bind, new[] { StaleSocketHelper.Call(plan.Path.WithoutTrivia()) });

        internal override SyntaxNode Complete(FixSession session, SyntaxNode changedRoot) => StaleSocketHelper.EnsureDeclared(changedRoot);

        /// <summary>The bind expression and the path expression to repeat before it, or null when the fix does not apply.</summary>
        private static (InvocationExpressionSyntax Bind, ExpressionSyntax Path)? PlanFor(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            if (!diagnostic.Properties.TryGetValue(StaleUnixSocketFileAnalyzer.HasPathLocation, out var has) || has != "true" || diagnostic.AdditionalLocations.Count == 0)
                return null;
            var bind = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            var pathNode = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
            var path = pathNode is ArgumentSyntax argument ? argument.Expression : pathNode as ExpressionSyntax;
            if (bind is null || path is null || !StatementInsertion.CanInsertAround(bind))
                return null;

            // The path is evaluated once more, before the bind: only repeat what means the same thing there.
            return RepeatableExpression.CanRepeatAt(path, bind.SpanStart, model, cancellationToken) ? (bind, path) : null;
        }
    }
}
