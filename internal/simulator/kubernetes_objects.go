package simulator

import (
	"strconv"
	"time"
)

type k8sOwnerJSON struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

type k8sMetaJSON struct {
	Name                       string            `json:"name"`
	Namespace                  string            `json:"namespace,omitempty"`
	UID                        string            `json:"uid"`
	ResourceVersion            string            `json:"resourceVersion"`
	Generation                 int64             `json:"generation,omitempty"`
	CreationTimestamp          string            `json:"creationTimestamp"`
	DeletionTimestamp          string            `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string `json:"labels,omitempty"`
	Annotations                map[string]string `json:"annotations,omitempty"`
	OwnerReferences            []k8sOwnerJSON    `json:"ownerReferences,omitempty"`
	Finalizers                 []string          `json:"finalizers,omitempty"`
}

type k8sObjectJSON struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   k8sMetaJSON `json:"metadata"`
	Spec       any         `json:"spec"`
	Status     any         `json:"status,omitempty"`
}

// k8sTime serves a time as metav1.Time does: RFC 3339 UTC, seconds.
func k8sTime(s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

func k8sTimePtr(s string) *string {
	if s == "" {
		return nil
	}
	return ptr(k8sTime(s))
}

// metaJSON is the metadata of an object in namespace ns ("" when
// cluster-scoped); an owner reference without an apiVersion gets
// apiVersion.
func (m KubernetesMeta) metaJSON(ns, apiVersion string) k8sMetaJSON {
	j := k8sMetaJSON{
		Name: m.Name, Namespace: ns, UID: m.UID, ResourceVersion: strconv.FormatInt(m.rv, 10),
		Generation: m.Generation, CreationTimestamp: k8sTime(m.CreationTimestamp),
		DeletionTimestamp: k8sTime(m.DeletionTimestamp),
		Labels:            m.Labels, Annotations: m.Annotations, Finalizers: m.Finalizers,
	}
	if m.DeletionTimestamp != "" {
		j.DeletionGracePeriodSeconds = ptr(int64(0))
	}
	for _, o := range m.OwnerReferences {
		j.OwnerReferences = append(j.OwnerReferences, k8sOwnerJSON{
			APIVersion: firstNonEmpty(o.APIVersion, apiVersion), Kind: o.Kind, Name: o.Name,
			UID: o.UID, Controller: o.Controller, BlockOwnerDeletion: o.BlockOwnerDeletion,
		})
	}
	return j
}

type k8sConditionJSON struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
	LastTransitionTime string `json:"lastTransitionTime"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
}

func k8sConditions(cs []KubernetesCondition) []k8sConditionJSON {
	out := []k8sConditionJSON{}
	for _, c := range cs {
		out = append(out, k8sConditionJSON{
			Type: c.Type, Status: c.Status, ObservedGeneration: c.ObservedGeneration,
			LastTransitionTime: k8sTime(firstNonEmpty(c.LastTransitionTime, k8sDefaultTime)),
			Reason:             c.Reason, Message: c.Message,
		})
	}
	return out
}

type k8sLabelSelectorJSON struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

func k8sSelector(m map[string]string) *k8sLabelSelectorJSON {
	if m == nil {
		return nil
	}
	return &k8sLabelSelectorJSON{MatchLabels: m}
}
