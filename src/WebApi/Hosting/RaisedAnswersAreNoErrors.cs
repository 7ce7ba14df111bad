using System.Diagnostics;
using OpenTelemetry;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// A span of Npgsql's that failed with one of <see cref="RaisedAnswers"/> is given back its unset status before it is
/// exported: a replayed <c>Idempotency-Key</c>, a 402 or a 403 of a budget are answers, and trace stores counted them among
/// the errors (a probe of the OTLP export). Its exception event stays (an <see cref="Activity"/>'s events cannot be taken
/// away): it says which answer. Added before the exporter, so that the exporter sees the change.
/// </summary>
public sealed class RaisedAnswersAreNoErrors : BaseProcessor<Activity>
{
    private const string ErrorType = "error.type";

    public override void OnEnd(Activity data)
    {
        if (data.Status == ActivityStatusCode.Error && data.Source.Name == "Npgsql" && RaisedAnswers.Contains(data.GetTagItem(ErrorType) as string))
        {
            data.SetStatus(ActivityStatusCode.Unset);
            data.SetTag(ErrorType, null);
        }
    }
}
