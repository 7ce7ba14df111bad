using FluentValidation;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Provisioning.Application.Apps.Commands.CreateApp;
using Provisioning.Application.Apps.Queries.GetApp;
using Provisioning.Application.Apps.Queries.ListApps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Behaviors;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Logging;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccount;
using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.UnitTests.Application;

public sealed class BehaviorTests
{
    private static Caller CallerOf(CallerKinds kind) =>
        new(KeyId.New(KeyKind.Account), kind, TenantId.New(), TenantId.New(),
            kind == CallerKinds.ServiceAccount ? ServiceAccountId.New() : null, kind == CallerKinds.App ? AppId.New() : null);

    private sealed class FixedCaller(Caller caller) : ICallerContext
    {
        public Caller Caller => caller;
        public Caller? Current => caller;
        public string? RequestId => null;
    }

    private sealed class NoCaller : ICallerContext
    {
        public Caller Caller => throw new UnauthorizedException("none");
        public Caller? Current => null;
        public string? RequestId => null;
    }

    private static ValueTask<string> Ok<T>(T message, CancellationToken ct) => ValueTask.FromResult("ok");

    [Theory]
    [InlineData(CallerKinds.Account, true)]
    [InlineData(CallerKinds.ServiceAccount, false)]
    [InlineData(CallerKinds.App, false)]
    public async Task Authorization_MessagesWithoutAttribute_AreForAccountKeysOnly(CallerKinds kind, bool allowed)
    {
        var behavior = new AuthorizationBehavior<CreateServiceAccountCommand, string>(new FixedCaller(CallerOf(kind)));
        Task<string> run() => behavior.Handle(new CreateServiceAccountCommand("x"), Ok, CancellationToken.None).AsTask();
        if (allowed)
        {
            Assert.Equal("ok", await run());
        }
        else
        {
            await Assert.ThrowsAsync<ForbiddenException>(run);
        }
    }

    [Fact]
    public async Task Authorization_HonoursAllowedCallers()
    {
        var app = new AuthorizationBehavior<GetAppQuery, string>(new FixedCaller(CallerOf(CallerKinds.App)));
        Assert.Equal("ok", await app.Handle(new GetAppQuery("x"), Ok, CancellationToken.None));
        var create = new AuthorizationBehavior<CreateAppCommand, string>(new FixedCaller(CallerOf(CallerKinds.App)));
        await Assert.ThrowsAsync<ForbiddenException>(() => create.Handle(new CreateAppCommand("x"), Ok, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Authorization_LetsSystemMessagesThroughWithoutACaller()
    {
        var behavior = new AuthorizationBehavior<BootstrapRootTenantCommand, string>(new NoCaller());
        Assert.Equal("ok", await behavior.Handle(new BootstrapRootTenantCommand(null, null, null), Ok, CancellationToken.None));
    }

    [Fact]
    public async Task Validation_ReportsEveryBrokenRuleByWireName_AndStopsBeforeTheHandler()
    {
        var behavior = new ValidationBehavior<ListAppsQuery, string>([new ListAppsQueryValidator()]);
        var handlerRan = false;
        var error = await Assert.ThrowsAsync<RequestValidationException>(() => behavior.Handle(
            new ListAppsQuery(new PageRequest(0, "bad", "bad"), "x"),
            (_, _) => { handlerRan = true; return ValueTask.FromResult("ok"); },
            CancellationToken.None).AsTask());

        Assert.False(handlerRan);
        Assert.Equal(["page[size]", "page", "page[after]", "page[before]", "filter[serviceAccountId]"], error.Errors.Select(e => e.Field));
    }

    [Fact]
    public async Task Transaction_WrapsACommandInOneTransaction()
    {
        // Commands only, by its constraint: a query's pipeline does not have it (PipelineTests, on the real container).
        var unitOfWork = new RecordingUnitOfWork();
        await new TransactionBehavior<CreateAppCommand, string>(unitOfWork).Handle(new CreateAppCommand("x"), Ok, CancellationToken.None);
        Assert.Equal(1, unitOfWork.Transactions);
    }

    [Fact]
    public async Task UnhandledException_LogsFaultsOnce_AndRethrowsThemMarkedAsLogged()
    {
        var logger = new CountingLogger<UnhandledExceptionBehavior<GetAppQuery, string>>();
        var behavior = new UnhandledExceptionBehavior<GetAppQuery, string>(logger, new DatabaseFaultsOf<TimeoutException>(), new FaultLines(TimeProvider.System, NullLogger<FaultLines>.Instance));
        var fault = new InvalidOperationException("boom");
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => behavior.Handle(new GetAppQuery("x"),
            (_, _) => throw fault, CancellationToken.None).AsTask());
        Assert.Same(fault, thrown);
        Assert.Equal(1, logger.Errors);
        Assert.True(FaultLog.IsLogged(thrown));

        // An outer pipeline (a command that sent this query) does not log it again; an expected outcome is never logged.
        var outerLogger = new CountingLogger<UnhandledExceptionBehavior<CreateAppCommand, string>>();
        var outer = new UnhandledExceptionBehavior<CreateAppCommand, string>(outerLogger, new DatabaseFaultsOf<TimeoutException>(), new FaultLines(TimeProvider.System, NullLogger<FaultLines>.Instance));
        await Assert.ThrowsAsync<InvalidOperationException>(() => outer.Handle(new CreateAppCommand("x"), (_, _) => throw fault, CancellationToken.None).AsTask());
        Assert.Equal(0, outerLogger.Errors);
        await Assert.ThrowsAsync<NotFoundException>(() => behavior.Handle(new GetAppQuery("x"),
            (_, _) => throw NotFoundException.App(), CancellationToken.None).AsTask());
        Assert.Equal(1, logger.Errors);
        Assert.StartsWith("Unhandled InvalidOperationException while handling GetAppQuery", logger.Messages.Single());
    }

    [Fact]
    public async Task UnhandledException_SaysADatabaseFaultIsOne_NotUnhandled()
    {
        // A database that went away is answered 503 and passes: "Unhandled" sent operators after a defect (a probe).
        var logger = new CountingLogger<UnhandledExceptionBehavior<CreateAppCommand, string>>();
        var behavior = new UnhandledExceptionBehavior<CreateAppCommand, string>(logger, new DatabaseFaultsOf<TimeoutException>(), new FaultLines(TimeProvider.System, NullLogger<FaultLines>.Instance));
        await Assert.ThrowsAsync<TimeoutException>(() => behavior.Handle(new CreateAppCommand("x"),
            (_, _) => throw new TimeoutException("the database stopped answering"), CancellationToken.None).AsTask());
        Assert.Equal(1, logger.Errors);
        Assert.StartsWith("Database fault (TimeoutException) while handling CreateAppCommand", logger.Messages.Single());
        // Its cause in the text, with its stack trace or without (a one-off fault has this line only: a probe).
        Assert.Contains("(TimeoutException: the database stopped answering", logger.Messages.Single());
    }

    private sealed class DatabaseFaultsOf<TFault> : IDatabaseFaults where TFault : Exception
    {
        public bool IsDatabaseFault(Exception exception) => exception is TFault;
    }

    private sealed class CountingLogger<T> : ILogger<T>
    {
        public int Errors { get; private set; }

        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                Errors++;
                Messages.Add(formatter(state, exception));
            }
        }
    }

    private sealed class RecordingUnitOfWork : IUnitOfWork
    {
        public int Transactions { get; private set; }

        public async Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
        {
            Transactions++;
            return await work(cancellationToken);
        }
    }
}
