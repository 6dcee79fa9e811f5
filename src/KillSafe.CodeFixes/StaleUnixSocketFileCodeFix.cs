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
    public sealed class StaleUnixSocketFileCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS2001.RemoveStaleSocketFile";
        public const string Title = "Remove a stale socket file before binding (only a socket file nobody listens on)";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(StaleUnixSocketFileAnalyzer.DiagnosticId);

        public override FixAllProvider GetFixAllProvider() =>
            FixAllProvider.Create((context, document, diagnostics) => FixDocumentAsync(document, diagnostics, context.CancellationToken));

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null || !StaleSocketHelper.IsAvailable(root))
                return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (PlanFor(root, model, diagnostic, context.CancellationToken) is null)
                    continue;
                context.RegisterCodeFix(
                    CodeAction.Create(Title, async ct => await FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), ct).ConfigureAwait(false) ?? context.Document, EquivalenceKey),
                    diagnostic);
            }
        }

        private sealed class Plan
        {
            public Plan(StatementSyntax? statement, ExpressionSyntax? expressionBody, ExpressionSyntax path)
            {
                Statement = statement;
                ExpressionBody = expressionBody;
                Path = path;
            }

            /// <summary>The statement to insert before (null when the bind is an expression body).</summary>
            public StatementSyntax? Statement { get; }

            /// <summary>An expression-bodied lambda or member body that must become a block.</summary>
            public ExpressionSyntax? ExpressionBody { get; }

            /// <summary>The path expression, valid at the insertion point.</summary>
            public ExpressionSyntax Path { get; }
        }

        private static Plan? PlanFor(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            if (!diagnostic.Properties.TryGetValue(StaleUnixSocketFileAnalyzer.HasPathLocation, out var has) || has != "true" || diagnostic.AdditionalLocations.Count == 0)
                return null;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } bindNode)
                return null;
            var bind = bindNode.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            var pathNode = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
            var path = pathNode is ArgumentSyntax argument ? argument.Expression : pathNode as ExpressionSyntax;
            if (bind is null || path is null)
                return null;

            // The path is evaluated once more, at the insertion point: only repeat what has no side effects
            // and names the same thing there.
            if (!IsRepeatable(path) || !IsInScopeAt(path, bind.SpanStart, model, cancellationToken))
                return null;

            var host = bind.Parent;
            if (host is ArrowExpressionClauseSyntax or LambdaExpressionSyntax)
                return new Plan(null, bind, path);
            var statement = bind.FirstAncestorOrSelf<StatementSyntax>();
            return statement is null ? null : new Plan(statement, null, path);
        }

        private static bool IsRepeatable(ExpressionSyntax path) => path switch
        {
            LiteralExpressionSyntax => true,
            IdentifierNameSyntax => true,
            ThisExpressionSyntax => true,
            MemberAccessExpressionSyntax member => IsRepeatable(member.Expression),
            ParenthesizedExpressionSyntax parenthesized => IsRepeatable(parenthesized.Expression),
            BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression) => IsRepeatable(binary.Left) && IsRepeatable(binary.Right),
            _ => false,
        };

        /// <summary>True when every name in <paramref name="path"/> binds to the same symbol at <paramref name="position"/>.</summary>
        private static bool IsInScopeAt(ExpressionSyntax path, int position, SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (var name in path.DescendantNodesAndSelf().OfType<SimpleNameSyntax>())
            {
                if (name.Parent is MemberAccessExpressionSyntax access && access.Name == name)
                    continue; // bound through its receiver
                var original = model.GetSymbolInfo(name, cancellationToken).Symbol;
                var there = model.GetSpeculativeSymbolInfo(position, name, SpeculativeBindingOption.BindAsExpression).Symbol;
                if (original is null || !SymbolEqualityComparer.Default.Equals(original, there))
                    return false;
            }

            return true;
        }

        private static async Task<Document?> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || !StaleSocketHelper.IsAvailable(root))
                return document;

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            bool changed = false;
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                var plan = PlanFor(root, model, diagnostic, cancellationToken);
                if (plan is null)
                    continue;
                var call = StaleSocketHelper.Call(plan.Path.WithoutTrivia());
                if (plan.ExpressionBody is { } body)
                {
                    var block = SyntaxFactory.Block(call, SyntaxFactory.ExpressionStatement(body.WithoutTrivia())).WithAdditionalAnnotations(Formatter.Annotation);
                    switch (body.Parent)
                    {
                        case LambdaExpressionSyntax lambda:
                            editor.ReplaceNode(lambda, lambda.WithExpressionBody(null).WithBlock(block).WithAdditionalAnnotations(Formatter.Annotation));
                            break;
                        case ArrowExpressionClauseSyntax arrow when arrow.Parent is BaseMethodDeclarationSyntax method:
                            editor.ReplaceNode(method, method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block).WithAdditionalAnnotations(Formatter.Annotation));
                            break;
                        case ArrowExpressionClauseSyntax arrow when arrow.Parent is LocalFunctionStatementSyntax local:
                            editor.ReplaceNode(local, local.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block).WithAdditionalAnnotations(Formatter.Annotation));
                            break;
                        default:
                            continue;
                    }
                }
                else if (plan.Statement is { } statement)
                {
                    switch (statement.Parent)
                    {
                        case BlockSyntax or SwitchSectionSyntax:
                            editor.InsertBefore(statement, call.WithLeadingTrivia(statement.GetLeadingTrivia()));
                            break;
                        case GlobalStatementSyntax global:
                            editor.InsertBefore(global, SyntaxFactory.GlobalStatement(call).WithLeadingTrivia(global.GetLeadingTrivia()));
                            break;
                        default:
                            editor.ReplaceNode(statement, SyntaxFactory.Block(call, statement.WithoutTrivia()).WithTriviaFrom(statement).WithAdditionalAnnotations(Formatter.Annotation));
                            break;
                    }
                }

                changed = true;
            }

            if (!changed)
                return document;
            var newRoot = StaleSocketHelper.EnsureDeclared(editor.GetChangedRoot());
            return document.WithSyntaxRoot(newRoot);
        }
    }
}
