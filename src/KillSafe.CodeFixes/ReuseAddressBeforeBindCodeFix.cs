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
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes
{
    /// <summary>KS3002 fix: set SocketOptionName.ReuseAddress on the socket right before Bind.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReuseAddressBeforeBindCodeFix)), Shared]
    public sealed class ReuseAddressBeforeBindCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS3002.ReuseAddress";
        public const string Title = "Set ReuseAddress before Bind";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(ManagedListenerMissesReuseAddressAnalyzer.DiagnosticId);

        public override FixAllProvider GetFixAllProvider() =>
            FixAllProvider.Create((context, document, diagnostics) => FixAsync(document, diagnostics, context.CancellationToken));

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
                return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (Plan(root, model, diagnostic, context.CancellationToken) is null)
                    continue;
                context.RegisterCodeFix(
                    CodeAction.Create(Title, async ct => await FixAsync(context.Document, ImmutableArray.Create(diagnostic), ct).ConfigureAwait(false) ?? context.Document, EquivalenceKey),
                    diagnostic);
            }
        }

        private static (InvocationExpressionSyntax Bind, ExpressionSyntax Socket)? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            var bind = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (bind?.Expression is not MemberAccessExpressionSyntax { Expression: { } socket } || !StatementInsertion.CanInsertAround(bind))
                return null;
            return RepeatableExpression.CanRepeatAt(socket, bind.SpanStart, model, cancellationToken) ? (bind, socket) : null;
        }

        private static async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
                return document;
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (Plan(root, model, diagnostic, cancellationToken) is not { } plan)
                    continue;
                var statement = SyntaxFactory.ParseStatement(
                        plan.Socket.WithoutTrivia() + ".SetSocketOption(global::System.Net.Sockets.SocketOptionLevel.Socket, global::System.Net.Sockets.SocketOptionName.ReuseAddress, true);" + System.Environment.NewLine)
                    .WithAdditionalAnnotations(Simplifier.Annotation);
                StatementInsertion.InsertBefore(editor, plan.Bind, new[] { statement });
            }

            return editor.GetChangedDocument();
        }
    }
}
