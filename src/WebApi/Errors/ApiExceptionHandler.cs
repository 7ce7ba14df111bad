using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Logging;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Common;

namespace Provisioning.WebApi.Errors;

/// <summary>The one place where exceptions become HTTP errors. Controllers hold no try/catch.</summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger, IDatabaseFaults databaseFaults, FaultLines lines) : IExceptionHandler
{
    /// <summary>OpenTelemetry's attribute for the class of error a request ended with.</summary>
    internal const string ErrorTypeTag = "error.type";

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, errors) = exception switch
        {
            RequestValidationException e => (e.Status, e.Errors.Select(f => new ApiError(e.Code, ErrorEnvelope.InRequestTerms(context, f.Field, f.Message))).ToList()),
            DomainRuleException e => (e.Status, [new ApiError(e.Code, ErrorEnvelope.InRequestTerms(context, e.Field, e.Message))]),
            ExpectedException e => (e.Status, [new ApiError(e.Code, e.Message)]),
            // A client that hung up in the middle of its body ("Unexpected end of request content": a load generator
            // stopping): nobody to answer, nothing wrong here. It was logged as an unhandled exception at Error.
            BadHttpRequestException or OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, []),
            BadHttpRequestException e => (e.StatusCode, [ErrorEnvelope.Default(e.StatusCode)]),
            _ when databaseFaults.IsDatabaseFault(exception) => (503, [ErrorEnvelope.Default(503)]),
            _ => (500, [ErrorEnvelope.Default(500)]),
        };

        if (status == 499)
        {
            return true; // The client went away; there is nobody to answer.
        }

        if (status == 503)
        {
            // A write refused by a session still on a read-only default that is gone; a wait given up, said with who holds the
            // locks. (Asked for here, not taken by the constructor: the build's OpenAPI step makes this handler with no
            // database configured.)
            context.RequestServices.GetRequiredService<Infrastructure.Persistence.StaleSessions>().Noticed(exception);
            context.RequestServices.GetRequiredService<Infrastructure.Persistence.LockWaits>().Noticed(exception);
        }

        if (status >= 500 && !FaultLog.IsLogged(exception))
        {
            // Faults inside a command or query were logged by its pipeline, with the message's name (once is enough at 3 a.m.).
            switch (lines.Next(exception, status))
            {
                case FaultLine.WithStackTrace:
                    logger.LogError(exception, "Request failed with {Status} ({Reason})", status, FaultLog.Reason(exception));
                    break;
                case FaultLine.WithoutStackTrace:
                    logger.LogError("Request failed with {Status} ({Reason}; its stack trace is in the first such line this minute)", status, FaultLog.Reason(exception));
                    break;
            }
        }

        if (context.Response.HasStarted)
        {
            return false;
        }

        if (status >= 500 && context.Features.Get<IHttpMetricsTagsFeature>() is { } metricTags
            && !metricTags.Tags.Any(tag => tag.Key == ErrorTypeTag))
        {
            // A fault's cause on http.server.request.duration, for a dashboard of 5xx by cause: since .NET 10 the framework
            // leaves error.type off when a handler (this one handles every exception) says it handled it. The type of the
            // cause the fault's log line names (FaultLog.Cause). A 4xx is the client's, not an error of the service's
            // (OpenTelemetry's HTTP server conventions), and carries none. (A handler that returns false leaves the exception
            // to the framework, which tags it itself, with the outermost type.)
            metricTags.Tags.Add(new(ErrorTypeTag, FaultLog.Cause(exception).GetType().FullName));
        }

        try
        {
            await ErrorEnvelope.WriteAsync(context, status, errors);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client left while its answer was being written (its hang-up noticed only now): nobody to tell. Thrown
            // out of here, the framework logged it at Error as a failure of the error handler.
        }

        return true;
    }
}
