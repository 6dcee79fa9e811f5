using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes
{
    /// <summary>
    /// KS3001 fix: <c>setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)</c> right before the raw bind, in the file's
    /// style: Tmds.LibC's constants, or the file's own P/Invoke (declared next to <c>bind</c>, in the same
    /// style, when it is missing).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RawReuseAddressCodeFix)), Shared]
    public sealed class RawReuseAddressCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS3001.SetReuseAddr";
        public const string Title = "Set SO_REUSEADDR before bind";
        private const string TmdsLibC = "Tmds.Linux.LibC";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RawListenerWithoutReuseAddressAnalyzer.DiagnosticId);

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

        private enum Style
        {
            Tmds,
            ExistingRef,
            ExistingPointer,
            Declare,
        }

        private sealed class FixPlan
        {
            public FixPlan(InvocationExpressionSyntax bind, ExpressionSyntax fd, Style style, IMethodSymbol? setsockopt, MethodDeclarationSyntax? bindDeclaration)
            {
                Bind = bind;
                Fd = fd;
                Style = style;
                Setsockopt = setsockopt;
                BindDeclaration = bindDeclaration;
            }

            public InvocationExpressionSyntax Bind { get; }

            public ExpressionSyntax Fd { get; }

            public Style Style { get; }

            public IMethodSymbol? Setsockopt { get; }

            public MethodDeclarationSyntax? BindDeclaration { get; }
        }

        private static FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            var bind = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (bind is null || bind.ArgumentList.Arguments.Count < 1 || !StatementInsertion.CanInsertAround(bind))
                return null;
            var fd = bind.ArgumentList.Arguments[0].Expression;
            if (!RepeatableExpression.CanRepeatAt(fd, bind.SpanStart, model, cancellationToken))
                return null;
            if (model.GetSymbolInfo(bind, cancellationToken).Symbol is not IMethodSymbol bindMethod)
                return null;
            if (bindMethod.ContainingType?.ToDisplayString() == TmdsLibC)
                return new FixPlan(bind, fd, Style.Tmds, null, null);

            var catalog = CatalogView.Create(model.Compilation, ResourceKind.ListeningSocket);
            if (catalog is null || bindMethod.ContainingType is not { } nativeType)
                return null;
            var existing = NativeDeclarations.Find(nativeType, "setsockopt", catalog) is { Parameters.Length: 5 } found ? found : null;
            if (existing is not null)
            {
                var value = existing.Parameters[3];
                if (value.RefKind == RefKind.Ref && value.Type.SpecialType == SpecialType.System_Int32)
                    return new FixPlan(bind, fd, Style.ExistingRef, existing, null);
                if (value.Type is IPointerTypeSymbol && IsUnsafeContext(bind))
                    return new FixPlan(bind, fd, Style.ExistingPointer, existing, null);
                return null; // an IntPtr or other signature: no mechanical fix
            }

            // Declare setsockopt next to bind: possible when bind is declared in this document.
            var declaration = NativeDeclarations.DeclarationIn(bindMethod, root.SyntaxTree, cancellationToken);
            return declaration is null ? null : new FixPlan(bind, fd, Style.Declare, null, declaration);
        }

        private static bool IsUnsafeContext(SyntaxNode node) =>
            node.Ancestors().Any(a => a is UnsafeStatementSyntax
                || (a is MemberDeclarationSyntax member && member.Modifiers.Any(SyntaxKind.UnsafeKeyword))
                || (a is LocalFunctionStatementSyntax local && local.Modifiers.Any(SyntaxKind.UnsafeKeyword)));

        private static async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
                return document;
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var declared = new HashSet<MethodDeclarationSyntax>();
            var taken = new HashSet<string>(); // names this run already introduced (the model does not see them)
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (Plan(root, model, diagnostic, cancellationToken) is not { } plan)
                    continue;
                var variable = UniqueName(model, plan.Bind.SpanStart, "reuseAddress", taken);
                var fd = plan.Fd.WithoutTrivia().ToString();
                string call;
                switch (plan.Style)
                {
                    case Style.Tmds:
                        call = $"global::Tmds.Linux.LibC.setsockopt({fd}, global::Tmds.Linux.LibC.SOL_SOCKET, global::Tmds.Linux.LibC.SO_REUSEADDR, &{variable}, sizeof(int));";
                        break;
                    case Style.ExistingRef:
                    case Style.ExistingPointer:
                        var target = NativeDeclarations.Qualified(plan.Setsockopt!, plan.Bind, model);
                        var value = plan.Style == Style.ExistingRef ? "ref " + variable : "&" + variable;
                        call = $"{target}({fd}, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, {value}, sizeof(int));";
                        break;
                    default:
                        var bindDeclaration = plan.BindDeclaration!;
                        if (declared.Add(bindDeclaration))
                            editor.InsertAfter(bindDeclaration, NativeDeclarations.DeclareLike(bindDeclaration, "setsockopt", "int", "int socket, int level, int optionName, ref int optionValue, int optionLength"));
                        var owner = model.GetDeclaredSymbol(bindDeclaration, cancellationToken)?.ContainingType;
                        var enclosing = model.GetEnclosingSymbol(plan.Bind.SpanStart, cancellationToken)?.ContainingType;
                        var prefix = owner is null || SymbolEqualityComparer.Default.Equals(owner, enclosing) ? string.Empty : owner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ".";
                        call = $"{prefix}setsockopt({fd}, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, ref {variable}, sizeof(int));";
                        break;
                }

                StatementInsertion.InsertBefore(editor, plan.Bind, new[]
                {
                    SyntaxFactory.ParseStatement($"int {variable} = 1;" + System.Environment.NewLine),
                    SyntaxFactory.ParseStatement(call + System.Environment.NewLine).WithAdditionalAnnotations(Simplifier.Annotation),
                });
            }

            return editor.GetChangedDocument();
        }

        private static string UniqueName(SemanticModel model, int position, string name, HashSet<string> taken)
        {
            var candidate = name;
            for (int i = 2; taken.Contains(candidate) || model.LookupSymbols(position, name: candidate).Any(); i++)
                candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            taken.Add(candidate);
            return candidate;
        }
    }
}
