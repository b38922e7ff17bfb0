// Public surface of evaluation: protocols (linear probe, kNN, fine-tuning, low-shot), feature
// extraction, checkpoint loading, embedding files and the torchvision export.
export { runEvaluations, evaluationKeys, evaluationSchedule, type RunEvaluationsOptions, type EvaluationOutcome, type EvaluationFailure, type EvaluationsReport, type EvaluationControl } from "./protocols.js";
export { EvaluationError, EvaluationStopped } from "./errors.js";
export { extractFeatures, mapImages, selectRows, evaluationAugment, type FeatureSet, type FeatureOutput, type ImagePassOptions } from "./features.js";
export { knnClassVotes, l2NormalizeRows, type KnnOptions } from "./knn.js";
export { trainLinearClassifier, linearScores, linearSteps, standardization, standardize, type LinearClassifier, type LinearTrainingOptions } from "./linear.js";
export { fineTune, fineTuneSteps, copyModel, type FineTuneOptions, type FineTuneResult } from "./finetune.js";
export { classificationMetrics, type ClassificationMetrics } from "./metrics.js";
export { openEvaluationSplits, lowShotRows, cappedRows, classBalancedRows, holdoutSplit, viewOf, ViewSource, HOLDOUT_FRACTION, type EvaluationSplits } from "./splits.js";
export { findCheckpoint, isCheckpointDir, irPathFor, modelFromCheckpoint, type FoundCheckpoint } from "./checkpoint-model.js";
export { listImageFiles, writeEmbeddings, formatOfPath, pathsSidecarOf, PathListSource, type EmbeddingFormat } from "./embed.js";
export { encodeNpy, decodeNpy, NpyError } from "./npy.js";
export { torchvisionStateDict, writeTorchSafetensors, convToTorch, trunkModules, type TorchTensor } from "./torchvision.js";
