using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS4002 fix: the finalizer's cleanup moves into a private method (or the private method the finalizer
/// already calls is reused), and <c>Dispose()</c> calls it and suppresses finalization, implementing
/// <c>IDisposable</c> when the class has no Dispose. The finalizer stays as a safety net for owners that
/// are never disposed; <c>GC.SuppressFinalize</c> keeps the cleanup from running twice (a second
/// <c>IPC_RMID</c> could hit a new object that reused the id).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DisposeRunsFinalizerCleanupCodeFix)), Shared]
public sealed class DisposeRunsFinalizerCleanupCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS4002.CleanupInDispose";
    public const string Title = "Run the finalizer's cleanup in Dispose (and suppress finalization)";
    private const string CleanupName = "RemoveKernelObjects";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(FinalizerOnlyCleanupAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        Owner(root, diagnostic) is { } owner && Finalizer(owner) is { } finalizer && (finalizer.Body ?? (SyntaxNode?)finalizer.ExpressionBody) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (Owner(session.Root, diagnostic) is not { } owner || Finalizer(owner) is not { } finalizer)
            return false;
        if (session.State.ContainsKey(owner))
            return true; // one edit per class: Fix All over several creations of the same owner
        session.State[owner] = owner;

        var cleanup = ExistingCleanupCall(finalizer, session.Model, session.CancellationToken);
        if (cleanup is null)
        {
            cleanup = UniqueName(owner);
            var body = finalizer.Body ?? SyntaxFactory.Block(SyntaxFactory.ExpressionStatement(finalizer.ExpressionBody!.Expression));
            var method = ((MethodDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration($"private void {cleanup}() {{ }}")!)
                .WithBody(body.WithoutTrivia())
                .WithLeadingTrivia(SyntaxFactory.EndOfLine(System.Environment.NewLine))
                .WithTrailingTrivia(SyntaxFactory.EndOfLine(System.Environment.NewLine))
                .WithAdditionalAnnotations(Formatter.Annotation);
            var call = SyntaxFactory.Block(SyntaxFactory.ParseStatement($"{cleanup}();"));
            session.Editor.InsertAfter(finalizer, method); // before the replacement: the editor tracks the original node
            session.Editor.ReplaceNode(finalizer, finalizer.WithExpressionBody(null).WithSemicolonToken(default).WithBody(call).WithAdditionalAnnotations(Formatter.Annotation));
        }

        var statements = new List<StatementSyntax> { SyntaxFactory.ParseStatement($"{cleanup}();" + System.Environment.NewLine) };
        var dispose = owner.Members.OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Identifier.ValueText == "Dispose" && m.ParameterList.Parameters.Count == 0);
        if (dispose is null || !dispose.ToString().Contains("SuppressFinalize"))
            statements.Add(SyntaxFactory.ParseStatement("global::System.GC.SuppressFinalize(this);" + System.Environment.NewLine).WithAdditionalAnnotations(Simplifier.Annotation));
        DisposeMethod.Append(session.Editor, owner, statements);
        return true;
    }

    private static ClassDeclarationSyntax? Owner(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<ClassDeclarationSyntax>();

    private static DestructorDeclarationSyntax? Finalizer(ClassDeclarationSyntax owner) => owner.Members.OfType<DestructorDeclarationSyntax>().FirstOrDefault();

    /// <summary>The private parameterless method the finalizer consists of a call to (<c>~T() =&gt; Release();</c>), if so.</summary>
    private static string? ExistingCleanupCall(DestructorDeclarationSyntax finalizer, SemanticModel model, CancellationToken cancellationToken)
    {
        var expression = finalizer.ExpressionBody?.Expression
            ?? (finalizer.Body?.Statements is { Count: 1 } statements && statements[0] is ExpressionStatementSyntax single ? single.Expression : null);
        if (expression is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Expression: IdentifierNameSyntax name }
            && model.GetSymbolInfo(expression, cancellationToken).Symbol is IMethodSymbol { DeclaredAccessibility: Accessibility.Private, Parameters.Length: 0 })
            return name.Identifier.ValueText;
        return null;
    }

    private static string UniqueName(ClassDeclarationSyntax owner)
    {
        var taken = new HashSet<string>(owner.Members.Select(m => m switch
        {
            MethodDeclarationSyntax method => method.Identifier.ValueText,
            PropertyDeclarationSyntax property => property.Identifier.ValueText,
            _ => string.Empty,
        }));
        var name = CleanupName;
        for (int i = 2; taken.Contains(name); i++)
            name = CleanupName + i;
        return name;
    }
}
