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
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes
{
    /// <summary>
    /// KS1005 fix: mark the containing method <c>[SupportedOSPlatform("windows")]</c>. It changes nothing at run
    /// time (the call already fails elsewhere); it states the fact, and the platform compatibility analyzer
    /// (CA1416) then asks every caller to guard the call. No fix swaps the object for another one: the Linux
    /// alternatives (named Mutex, lock file, sem_open) behave differently and are a design choice (docs).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WindowsOnlyMemberCodeFix)), Shared]
    public sealed class WindowsOnlyMemberCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS1005.SupportedOSPlatform";
        public const string Title = "Mark the method Windows-only ([SupportedOSPlatform(\"windows\")]); callers must then guard it";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(WindowsOnlyNamedObjectAnalyzer.DiagnosticId);

        public override FixAllProvider GetFixAllProvider() =>
            FixAllProvider.Create((context, document, diagnostics) => FixAsync(document, diagnostics, context.CancellationToken));

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
                return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (MethodOf(root, diagnostic) is null)
                    continue;
                context.RegisterCodeFix(
                    CodeAction.Create(Title, async ct => await FixAsync(context.Document, ImmutableArray.Create(diagnostic), ct).ConfigureAwait(false) ?? context.Document, EquivalenceKey),
                    diagnostic);
            }
        }

        /// <summary>The method the diagnostic is in (not a lambda or local function: the attribute belongs on the member).</summary>
        private static BaseMethodDeclarationSyntax? MethodOf(SyntaxNode root, Diagnostic diagnostic) =>
            root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<BaseMethodDeclarationSyntax>();

        private static async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
                return document;
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var done = new HashSet<BaseMethodDeclarationSyntax>();
            foreach (var diagnostic in diagnostics)
            {
                if (MethodOf(root, diagnostic) is not { } method || !done.Add(method))
                    continue;
                var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.Attribute(SyntaxFactory.ParseName("global::System.Runtime.Versioning.SupportedOSPlatform"))
                            .AddArgumentListArguments(SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("windows"))))))
                    .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
                editor.AddAttribute(method, attribute);
            }

            return editor.GetChangedDocument();
        }
    }
}
