using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS1005 fix: mark the containing method <c>[SupportedOSPlatform("windows")]</c>. It changes nothing at run
/// time (the call already fails elsewhere); it states the fact, and the platform compatibility analyzer
/// (CA1416) then asks every caller to guard the call. No fix swaps the object for another one: the Linux
/// alternatives (named Mutex, lock file, sem_open) behave differently and are a design choice (docs).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WindowsOnlyMemberCodeFix)), Shared]
public sealed class WindowsOnlyMemberCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS1005.SupportedOSPlatform";
    public const string Title = "Mark the method Windows-only ([SupportedOSPlatform(\"windows\")]); callers must then guard it";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(WindowsOnlyNamedObjectAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        MethodOf(root, diagnostic) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (MethodOf(session.Root, diagnostic) is not { } method || !session.Taken.Add("method@" + method.SpanStart))
            return false; // one attribute per method, however many calls it has
        var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.Attribute(SyntaxFactory.ParseName("global::System.Runtime.Versioning.SupportedOSPlatform"))
                    .AddArgumentListArguments(SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("windows"))))))
            .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
        session.Editor.AddAttribute(method, attribute);
        return true;
    }

    /// <summary>The method the diagnostic is in (not a lambda or local function: the attribute belongs on the member).</summary>
    private static BaseMethodDeclarationSyntax? MethodOf(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<BaseMethodDeclarationSyntax>();
}
