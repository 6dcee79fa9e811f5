using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS4004 fix: the migration the .NET 10 breaking-change page "sigterm-signal-handler" gives, as the first
/// statement of the program's entry point (Main's body or the top-level statements, in whatever file they are):
/// <c>using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ =&gt; Environment.Exit(0));</c>.
/// On SIGTERM, <c>Environment.Exit(0)</c> raises ProcessExit and Unloading as the runtime did up to .NET 9, and
/// the process exits with 0 (measured by the KS4004 evidence test). One registration per program: a single fix
/// and Fix All add it once, whatever the number of handlers.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExitOnSigtermCodeFix)), Shared]
public sealed class ExitOnSigtermCodeFix : CodeFixProvider
{
    public const string EquivalenceKey = "KS4004.ExitOnSigterm";
    public const string Title = "Exit normally on SIGTERM (PosixSignalRegistration in Main), so exit handlers run";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(ExitHandlerMissesSigtermAnalyzer.DiagnosticId);

    public override FixAllProvider GetFixAllProvider() => new OncePerProject();

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await EntryPointAsync(context.Document.Project, context.CancellationToken).ConfigureAwait(false) is null)
            return;
        var project = context.Document.Project;
        foreach (var diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => AddRegistrationAsync(project.Solution, project.Id, ct), EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>The document and syntax of the entry point, when it can take the statement (a block body or top-level statements, C# 8 or later).</summary>
    private static async Task<(Document Document, SyntaxNode Entry)?> EntryPointAsync(Project project, CancellationToken cancellationToken)
    {
        if (project.ParseOptions is not CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp8 })
            return null; // using declarations need C# 8
        var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
        if (compilation?.GetEntryPoint(cancellationToken) is not { } entry)
            return null;
        foreach (var reference in entry.DeclaringSyntaxReferences)
        {
            var node = await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false);
            if (project.GetDocument(reference.SyntaxTree) is not { } document)
                continue;
            switch (node)
            {
                case MethodDeclarationSyntax { Body: not null }:
                    return (document, node);
                case CompilationUnitSyntax unit when unit.Members.OfType<GlobalStatementSyntax>().Any():
                    return (document, node);
            }
        }

        return null;
    }

    private static async Task<Solution> AddRegistrationAsync(Solution solution, ProjectId projectId, CancellationToken cancellationToken)
    {
        if (solution.GetProject(projectId) is not { } project || await EntryPointAsync(project, cancellationToken).ConfigureAwait(false) is not { } found)
            return solution;
        var (document, entry) = found;
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
            return solution;

        var first = entry switch
        {
            MethodDeclarationSyntax method => (SyntaxNode?)method.Body!.Statements.FirstOrDefault(),
            CompilationUnitSyntax unit => unit.Members.OfType<GlobalStatementSyntax>().First(),
            _ => null,
        };
        int position = first?.SpanStart ?? ((MethodDeclarationSyntax)entry).Body!.OpenBraceToken.Span.End;
        string Free(string wanted)
        {
            var name = wanted;
            for (int i = 2; model.LookupSymbols(position, name: name).Any() || Declared(entry, name); i++)
                name = wanted + i;
            return name;
        }

        // The lambda's parameter may shadow any outer name (C# 8, which using declarations need anyway).
        var local = Free("sigterm");
        var newLine = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var statement = SyntaxFactory.ParseStatement(
                $"using var {local} = global::System.Runtime.InteropServices.PosixSignalRegistration.Create(global::System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => global::System.Environment.Exit(0));")
            .WithTrailingTrivia(newLine.IsKind(SyntaxKind.EndOfLineTrivia) ? newLine : SyntaxFactory.EndOfLine("\n"))
            .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation, Formatter.Annotation);

        SyntaxNode changed;
        switch (first)
        {
            case GlobalStatementSyntax global:
                // Comments and blank lines above the first statement stay above the program: the registration goes after them.
                var inserted = SyntaxFactory.GlobalStatement(statement.WithLeadingTrivia(global.GetLeadingTrivia()));
                changed = root.ReplaceNode(global, new SyntaxNode[] { inserted, global.WithLeadingTrivia(Indentation(global.GetLeadingTrivia())) });
                break;
            case StatementSyntax existing:
                changed = root.InsertNodesBefore(existing, new[] { statement.WithLeadingTrivia(Indentation(existing.GetLeadingTrivia())) });
                break;
            default:
                var body = ((MethodDeclarationSyntax)entry).Body!;
                changed = root.ReplaceNode(body, body.AddStatements(statement).WithAdditionalAnnotations(Formatter.Annotation));
                break;
        }

        // Code actions simplify the names afterwards, but add the using directive only for symbol annotations.
        var withImports = await ImportAdder.AddImportsAsync(document.WithSyntaxRoot(changed), Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return withImports.Project.Solution;
    }

    /// <summary>A name declared anywhere in the entry point (a later local, a lambda parameter): C# forbids reusing it in an enclosing scope.</summary>
    private static bool Declared(SyntaxNode entry, string name) =>
        entry.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == name
            && t.Parent is VariableDeclaratorSyntax or ParameterSyntax or SingleVariableDesignationSyntax or LocalFunctionStatementSyntax or ForEachStatementSyntax);

    /// <summary>The whitespace of the last line of <paramref name="trivia"/>: the statement's indentation without its comments.</summary>
    private static SyntaxTriviaList Indentation(SyntaxTriviaList trivia) =>
        trivia.Count > 0 && trivia.Last().IsKind(SyntaxKind.WhitespaceTrivia) ? SyntaxFactory.TriviaList(trivia.Last()) : SyntaxFactory.TriviaList();

    /// <summary>Fix All: one registration per project that has a KS4004 diagnostic in the scope.</summary>
    private sealed class OncePerProject : FixAllProvider
    {
        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
            new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        public override Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            var context = fixAllContext;
            var projects = context.Scope == FixAllScope.Solution ? context.Solution.Projects.ToList() : new List<Project> { context.Project };
            return Task.FromResult<CodeAction?>(CodeAction.Create(Title, async ct =>
            {
                var solution = context.Solution;
                foreach (var project in projects)
                {
                    var diagnostics = context.Scope == FixAllScope.Document && context.Document is { } document
                        ? await context.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false)
                        : await context.GetAllDiagnosticsAsync(project).ConfigureAwait(false);
                    if (diagnostics.Any(d => d.Id == ExitHandlerMissesSigtermAnalyzer.DiagnosticId))
                        solution = await AddRegistrationAsync(solution, project.Id, ct).ConfigureAwait(false);
                }

                return solution;
            }, EquivalenceKey));
        }
    }
}
